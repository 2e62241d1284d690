// Package infra holds the local stack (devstack, gateway, samtemplate) and
// the tests that keep template.yaml, localstack/ and the Makefile in step
// with the code: table shape drift, function wiring, route collisions,
// event fixtures and script syntax.
package infra
