// Package githook is the protocol between the git server's hooks
// (infra/cmd/githook, run by git receive-pack as pre-receive and
// post-receive) and the commits function: the request and answer of the
// push check, the Lambda event that carries them, and the lines a refused
// push prints on the pusher's terminal.
//
// # Who may call
//
// The hooks invoke the commits function directly (Lambda Invoke, signed
// with the git server's IAM role, which alone is granted
// lambda:InvokeFunction on it; locally the stack's loopback Lambda
// endpoint). The event carries the authorizer context kind "git_server",
// which the authorizer never produces, on a path that template.yaml does
// not route: a client of the HTTP API can neither reach the route nor
// forge the context (the route answers 404 to anything else), and a
// function served bare on $PORT has no event context at all (401).
package githook
