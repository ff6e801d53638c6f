package render

import (
	"unicode/utf16"
	"unicode/utf8"
)

func decodeRune(s string) (rune, int) {
	r, size := utf8.DecodeRuneInString(s)
	return r, size
}

const hexDigits = "0123456789abcdef"

// appendUnicodeEscape writes r as \uXXXX (a surrogate pair above the BMP).
func appendUnicodeEscape(b []byte, r rune) []byte {
	if r > 0xFFFF {
		r1, r2 := utf16.EncodeRune(r)
		b = appendUnicodeEscape(b, r1)
		return appendUnicodeEscape(b, r2)
	}
	return append(b, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}
