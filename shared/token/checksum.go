package token

import "hash/crc32"

// checksum returns the CRC-32 (IEEE) of s. It is the plain table-driven
// algorithm over the string's bytes, so checking a token needs no []byte
// conversion and no allocation; tests compare it with crc32.ChecksumIEEE.
func checksum(s string) uint32 {
	tab := crc32.IEEETable
	crc := ^uint32(0)
	for i := 0; i < len(s); i++ {
		crc = tab[byte(crc)^s[i]] ^ (crc >> 8)
	}
	return ^crc
}

// encodeChecksum writes sum in base 52 over Alphabet, most significant digit
// first, padded with 'A' (zero) to ChecksumLen letters.
func encodeChecksum(dst *[ChecksumLen]byte, sum uint32) {
	v := uint64(sum)
	for i := ChecksumLen - 1; i >= 0; i-- {
		dst[i] = Alphabet[v%52]
		v /= 52
	}
}

// checksumOK reports whether the last ChecksumLen bytes of s are the checksum
// of the rest of s.
func checksumOK(s string) bool {
	n := len(s) - ChecksumLen
	var c [ChecksumLen]byte
	encodeChecksum(&c, checksum(s[:n]))
	return string(c[:]) == s[n:]
}
