package render

import "unicode/utf8"

func decodeRune(s string) (rune, int) {
	return utf8.DecodeRuneInString(s)
}

const hexDigits = "0123456789abcdef"

// appendUnicodeEscape writes r as YAML's \uXXXX, or \UXXXXXXXX above the
// Basic Multilingual Plane (YAML, unlike JSON, takes no surrogate pairs).
func appendUnicodeEscape(b []byte, r rune) []byte {
	if r > 0xFFFF {
		b = append(b, '\\', 'U')
		for shift := 28; shift >= 0; shift -= 4 {
			b = append(b, hexDigits[r>>shift&0xF])
		}
		return b
	}
	return append(b, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}
