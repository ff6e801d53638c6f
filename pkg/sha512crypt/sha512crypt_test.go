package sha512crypt

import (
	"os/exec"
	"strings"
	"testing"
)

// Vectors from the SHA-crypt specification, each confirmed with glibc crypt(3).
func TestHashSpecVectors(t *testing.T) {
	tests := []struct {
		password, salt string
		rounds         int
		want           string
	}{
		{"Hello world!", "saltstring", 0,
			"$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
		{"Hello world!", "saltstringsaltstring", 10000,
			"$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
		{"we have a short salt string but not a short password", "roundstoolow", 1000,
			"$6$rounds=1000$roundstoolow$yjTuW7RnC.d35QcVTFIb6uvh/7IQ1.GFtFN3i/.jwmeWEhzjf4uD/OPCb4jRl6atJGYhLst8IyR6YAtTrriMU1"},
		{"a very much longer text to encrypt.  This one even stretches over morethan one line.", "anotherlongsaltstring", 1400,
			"$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"},
	}
	for _, tt := range tests {
		got, err := Hash(tt.password, tt.salt, tt.rounds)
		if err != nil {
			t.Fatalf("Hash(%q): %v", tt.password, err)
		}
		if got != tt.want {
			t.Errorf("Hash(%q, %q, %d)\n got %s\nwant %s", tt.password, tt.salt, tt.rounds, got, tt.want)
		}
	}
}

// The guest checks the hash with glibc's crypt; openssl implements the same scheme.
func TestHashMatchesOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	for _, pw := range []string{"x", "correct horse battery staple", strings.Repeat("p", 200), "ünïcødé $pw'\"`"} {
		out, err := exec.Command("openssl", "passwd", "-6", "-salt", "Ab.9/xyz", pw).Output()
		if err != nil {
			t.Fatalf("openssl passwd: %v", err)
		}
		got, err := Hash(pw, "Ab.9/xyz", 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.TrimSpace(string(out)); got != want {
			t.Errorf("password %q: got %s, openssl says %s", pw, got, want)
		}
	}
}

func TestHashRejectsBadInput(t *testing.T) {
	if _, err := Hash("pw", "bad salt", 0); err == nil {
		t.Error("salt with a space: want error")
	}
	if _, err := Hash("pw", "salt", 10); err == nil {
		t.Error("rounds=10: want error")
	}
}
