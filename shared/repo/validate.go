package repo

import (
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// Repository name limits: the user-name rules (letters, digits, '-', '_',
// '.'; no leading or trailing '-' or '.'; no "--" or "..") with a longer
// maximum, as on the Hub.
const (
	MinNameLen = 1
	MaxNameLen = 96
)

// CheckName validates a repository name.
func CheckName(name string) error {
	if len(name) < MinNameLen || len(name) > MaxNameLen {
		return apperr.E(apperr.Invalid, "repository name must be %d to %d characters long", MinNameLen, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return apperr.E(apperr.Invalid, "repository name may contain only letters, digits, '-', '_' and '.'")
		}
	}
	if strings.ContainsAny(name[:1], "-.") || strings.ContainsAny(name[len(name)-1:], "-.") {
		return apperr.E(apperr.Invalid, "repository name may not start or end with '-' or '.'")
	}
	if strings.Contains(name, "--") || strings.Contains(name, "..") {
		return apperr.E(apperr.Invalid, "repository name may not contain \"--\" or \"..\"")
	}
	return nil
}

// checkNamespace validates a namespace name given by a caller.
func checkNamespace(field, ns string) error {
	if len(ns) < identity.MinNameLen || len(ns) > identity.MaxNameLen {
		return apperr.E(apperr.Invalid, "%s must be %d to %d characters long", field, identity.MinNameLen, identity.MaxNameLen)
	}
	return nil
}

// ParseType validates a repository type; "" means model.
func ParseType(s string) (access.RepoType, error) {
	switch t := access.RepoType(s); t {
	case "":
		return access.RepoModel, nil
	case access.RepoModel, access.RepoDataset, access.RepoSpace:
		return t, nil
	}
	return "", apperr.E(apperr.Invalid, "type must be model, dataset or space")
}

// SpaceSDKs are the accepted space SDKs.
var SpaceSDKs = []string{"gradio", "streamlit", "docker", "static"}

func checkSDK(typ access.RepoType, sdk string) error {
	if typ != access.RepoSpace {
		if sdk != "" {
			return apperr.E(apperr.Invalid, "sdk applies only to spaces")
		}
		return nil
	}
	for _, s := range SpaceSDKs {
		if sdk == s {
			return nil
		}
	}
	return apperr.E(apperr.Invalid, "a space needs sdk: one of %s", strings.Join(SpaceSDKs, ", "))
}

// SplitID splits "namespace/name".
func SplitID(field, id string) (ns, name string, err error) {
	ns, name, ok := strings.Cut(id, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return "", "", apperr.E(apperr.Invalid, "%s must be \"namespace/name\"", field)
	}
	if err := checkNamespace(field+" namespace", ns); err != nil {
		return "", "", err
	}
	if err := CheckName(name); err != nil {
		return "", "", err
	}
	return ns, name, nil
}
