package config

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/go-crypt/crypt/algorithm/shacrypt"
)

// TestSHA512CryptSpecVectors: the library gives the SHA-crypt
// specification's vectors, each confirmed with glibc crypt(3), at the
// default rounds sha512Crypt uses and at others.
func TestSHA512CryptSpecVectors(t *testing.T) {
	tests := []struct {
		password, salt string
		rounds         int
		want           string
	}{
		{"Hello world!", "saltstring", 5000,
			"$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
		{"Hello world!", "saltstringsaltst", 10000,
			"$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
		{"we have a short salt string but not a short password", "roundstoolow", 1000,
			"$6$rounds=1000$roundstoolow$yjTuW7RnC.d35QcVTFIb6uvh/7IQ1.GFtFN3i/.jwmeWEhzjf4uD/OPCb4jRl6atJGYhLst8IyR6YAtTrriMU1"},
		{"a very much longer text to encrypt.  This one even stretches over morethan one line.", "anotherlongsalts", 1400,
			"$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"},
	}
	for _, tt := range tests {
		h, err := shacrypt.New(shacrypt.WithSHA512(), shacrypt.WithIterations(tt.rounds))
		if err != nil {
			t.Fatal(err)
		}
		d, err := h.HashWithSalt(tt.password, []byte(tt.salt))
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Encode(); got != tt.want {
			t.Errorf("%q, %q, %d rounds\n got %s\nwant %s", tt.password, tt.salt, tt.rounds, got, tt.want)
		}
	}
	if got, _ := sha512Crypt("Hello world!", "saltstring"); got != tests[0].want {
		t.Errorf("sha512Crypt = %s, want %s", got, tests[0].want)
	}
}

var crossCheckPasswords = []string{"x", "s3cret pass", "correct horse battery staple", strings.Repeat("p", 200), "ünïcødé $pw'\"`"}

// The guest checks the hash with glibc's crypt(3); openssl implements the
// same scheme. Both must agree with sha512Crypt for salts hashPassword makes.
func TestSHA512CryptMatchesOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	for _, salt := range []string{"Ab.9/xyz", "./0aZ9zzzzzzzzzz"} {
		for _, pw := range crossCheckPasswords {
			out, err := exec.Command("openssl", "passwd", "-6", "-salt", salt, pw).Output()
			if err != nil {
				t.Fatalf("openssl passwd: %v", err)
			}
			got, err := sha512Crypt(pw, salt)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSpace(string(out)); got != want {
				t.Errorf("password %q: got %s, openssl says %s", pw, got, want)
			}
		}
	}
}

// TestSHA512CryptMatchesGlibc asks the system's crypt(3) through perl.
func TestSHA512CryptMatchesGlibc(t *testing.T) {
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("perl not installed")
	}
	for _, pw := range crossCheckPasswords {
		want, err := hashPassword(pw, testRunID, "ops")
		if err != nil {
			t.Fatal(err)
		}
		salt := strings.Split(want, "$")[2]
		out, err := exec.Command("perl", "-e", "print crypt($ARGV[0], $ARGV[1])", pw, "$6$"+salt+"$").Output()
		if err != nil {
			t.Fatalf("perl crypt: %v", err)
		}
		if string(out) != want {
			t.Errorf("password %q: got %s, crypt(3) says %s", pw, want, out)
		}
	}
}

// TestPasswordHashIsStable: the hash follows the run id and user only, and
// stays what pkg/sha512crypt computed before the library replaced it, so
// rendered user-data does not change.
func TestPasswordHashIsStable(t *testing.T) {
	got, err := hashPassword("s3cret pass", testRunID, "ops")
	if err != nil {
		t.Fatal(err)
	}
	const want = "$6$Qe/q1izftBAk80zn$yncGesYdXCQyfTZ2Bqc2ow1kXFAMDioPZ.XubSlhXIfAFqBVrDVjn1bzi6Ma0OeZmLmws8TD1HI5oR0PkOK5V1"
	if got != want {
		t.Errorf("hash = %s, want %s", got, want)
	}
	if other, _ := hashPassword("s3cret pass", testRunID, "dev"); other == got {
		t.Error("two users of one run share a salt")
	}
}
