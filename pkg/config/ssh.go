package config

import (
	"crypto/sha256"
	"fmt"
	"regexp"
	"strings"

	"github.com/go-crypt/crypt/algorithm/shacrypt"
	"golang.org/x/crypto/ssh"
)

// ssh resolves the SSH access: the user and --ssh-key values are already
// set by their rows; this reads the key files and hashes the password.
func (r *resolver) ssh(c *Config) error {
	if g, ok := pick(r, sshKeyFilesRow, ""); ok {
		for _, path := range g.v {
			data, err := r.src.ReadFile(path)
			if err != nil {
				return invalidf("%s: cannot read SSH key file: %v", g.src, unwrapPathError(err))
			}
			keys, err := parseAuthorizedKeys(string(data), g.src+" "+path)
			if err != nil {
				return err
			}
			c.SSH.AuthorizedKeys = append(c.SSH.AuthorizedKeys, keys...)
		}
	}
	password, src, err := r.password()
	if err != nil || password == "" {
		return err
	}
	if c.SSH.User == "" {
		return invalidf("%s needs --ssh-user (or VIRTWORK_SSH_USER): a password is set only for a user virtwork creates", src)
	}
	if c.SSH.PasswordHash, err = hashPassword(password, c.RunID, c.SSH.User); err != nil {
		return fmt.Errorf("hashing the SSH password: %w", err)
	}
	return nil
}

// password returns the SSH password from --ssh-password-file,
// VIRTWORK_SSH_PASSWORD or a password file named by the variable or the
// config file, in that order.
func (r *resolver) password() (string, string, error) {
	files := values(r, sshPasswordFileRow)
	if len(files) > 0 && files[0].layer == fromFlag {
		return r.readPassword(files[0])
	}
	if pw := values(r, sshPasswordRow); len(pw) > 0 {
		return pw[0].v, pw[0].src, nil
	}
	if len(files) > 0 {
		return r.readPassword(files[0])
	}
	return "", "", nil
}

func (r *resolver) readPassword(file given[string]) (string, string, error) {
	data, err := r.src.ReadFile(file.v)
	if err != nil {
		return "", "", invalidf("%s: cannot read password file: %v", file.src, unwrapPathError(err))
	}
	pw, _, _ := strings.Cut(string(data), "\n")
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" {
		return "", "", invalidf("%s: the password file %s is empty; put the password on its first line", file.src, file.v)
	}
	return pw, file.src, nil
}

// saltAlphabet is crypt(3)'s salt alphabet in its own order; the order
// decides which salt a run gets, so it must not change.
const saltAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// hashPassword returns the SHA-512 crypt ("$6$", 5000 rounds) hash of
// password. The salt is derived from the run and the user, so the same
// inputs render the same bytes while no two runs share a salt.
func hashPassword(password, runID, user string) (string, error) {
	sum := sha256.Sum256([]byte("virtwork-ssh-salt\x00" + runID + "\x00" + user))
	salt := make([]byte, 16)
	for i := range salt {
		salt[i] = saltAlphabet[int(sum[i])%len(saltAlphabet)]
	}
	return sha512Crypt(password, string(salt))
}

// sha512Crypt is the "$6$" hash of password with salt and the scheme's
// default 5000 rounds, which the hash then omits, as glibc and openssl do.
func sha512Crypt(password, salt string) (string, error) {
	h, err := shacrypt.New(shacrypt.WithSHA512(), shacrypt.WithIterations(shacrypt.IterationsDefaultOmitted))
	if err != nil {
		return "", err
	}
	d, err := h.HashWithSalt(password, []byte(salt))
	if err != nil {
		return "", err
	}
	return d.Encode(), nil
}

func parseAuthorizedKeys(text, src string) ([]string, error) {
	if strings.Contains(text, "PRIVATE KEY") {
		return nil, invalidf("%s is a private key; give the public key (the .pub file)", src)
	}
	var keys []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pk, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return nil, invalidf("%s is not an SSH public key in authorized_keys format (ssh-ed25519 AAAA... comment)", src)
		}
		// Re-encode: drops options and anything that is not the key itself.
		k := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk)))
		if comment != "" && safeComment.MatchString(comment) {
			k += " " + comment
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, invalidf("%s holds no SSH public key", src)
	}
	return keys, nil
}

var safeComment = regexp.MustCompile(`^[A-Za-z0-9@._+-]{1,64}$`)
