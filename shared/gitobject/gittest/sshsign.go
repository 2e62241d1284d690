package gittest

// SSHSign signs data with the private key at privPath in namespace, as
// `ssh-keygen -Y sign -n namespace -f privPath` does with data on stdin,
// and returns the armored SSHSIG.
func (e *Env) SSHSign(privPath, namespace string, data []byte) string {
	e.t.Helper()
	return string(e.Cmd(e.Root, nil, data, "ssh-keygen", "-Y", "sign", "-q", "-n", namespace, "-f", privPath))
}
