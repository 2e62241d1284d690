package org

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// Profile limits.
const (
	MaxFullnameLen    = 100
	MaxDescriptionLen = 1000
	MaxURLLen         = 500
	MaxLinks          = 10
)

func checkText(field, v string, max int) error {
	if utf8.RuneCountInString(v) > max {
		return apperr.E(apperr.Invalid, "%s must be at most %d characters", field, max)
	}
	if !utf8.ValidString(v) {
		return apperr.E(apperr.Invalid, "%s must be valid UTF-8", field)
	}
	for _, r := range v {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
			return apperr.E(apperr.Invalid, "%s must not contain control characters", field)
		}
	}
	return nil
}

// checkURL accepts an absolute http(s) URL; "" clears the field.
func checkURL(field, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > MaxURLLen {
		return apperr.E(apperr.Invalid, "%s must be at most %d characters", field, MaxURLLen)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		strings.ContainsAny(v, " \t\r\n") {
		return apperr.E(apperr.Invalid, "%s must be an absolute http or https URL", field)
	}
	return nil
}

// checkChange validates the profile part of a change.
func checkChange(ch Change) error {
	if ch.Fullname != nil {
		if err := checkText("fullname", *ch.Fullname, MaxFullnameLen); err != nil {
			return err
		}
		if strings.Contains(*ch.Fullname, "\n") {
			return apperr.E(apperr.Invalid, "fullname must be one line")
		}
	}
	if ch.Description != nil {
		if err := checkText("description", *ch.Description, MaxDescriptionLen); err != nil {
			return err
		}
	}
	if ch.AvatarURL != nil {
		if err := checkURL("avatarUrl", *ch.AvatarURL); err != nil {
			return err
		}
	}
	if ch.Links != nil {
		if len(*ch.Links) > MaxLinks {
			return apperr.E(apperr.Invalid, "links may hold at most %d URLs", MaxLinks)
		}
		for _, l := range *ch.Links {
			if l == "" {
				return apperr.E(apperr.Invalid, "links must not contain empty strings")
			}
			if err := checkURL("each of links", l); err != nil {
				return err
			}
		}
	}
	return nil
}

// ParseRole validates an organization role from outside.
func ParseRole(s string) (access.OrgRole, error) {
	switch r := access.OrgRole(s); r {
	case access.RoleRead, access.RoleContributor, access.RoleWrite, access.RoleAdmin:
		return r, nil
	}
	if s == "" {
		return "", apperr.E(apperr.Invalid, "role is required: read, write or admin")
	}
	return "", apperr.E(apperr.Invalid, "role must be read, write or admin")
}
