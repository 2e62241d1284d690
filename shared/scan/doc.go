// Package scan is the malware-scanning pipeline: it decodes S3
// ObjectCreated events, claims each object version once (at-least-once
// delivery made idempotent by conditional writes), runs the engines
// (ClamAV through clamd INSTREAM, pickle-import analysis with ranged reads,
// a SHA-256 blocklist), derives one status per object version, stores it,
// tags the object and records an audit event on the repository owner when a
// file is infected.
//
// Storage, S3 and Lambda are ports (Store, Objects, Queue) implemented by
// adapters: scanddb.Store, scan/s3objects and scan/sqsqueue. This
// package imports no AWS package.
package scan
