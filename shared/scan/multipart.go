package scan

import "errors"

// Multipart upload errors of the LFS API's object port (s3objects).
var (
	// ErrNoUpload: the upload id names no open multipart upload of the key.
	ErrNoUpload = errors.New("no such multipart upload")
	// ErrBadParts: S3 refused the parts of a completion (a wrong ETag, a
	// part too small).
	ErrBadParts = errors.New("multipart parts refused")
)
