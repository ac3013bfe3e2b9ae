// Package demo seeds a small, realistic set of subscribers and staff into an
// empty development database, with stable ids so the README can name them and
// `portal token --demo NAME` can mint their tokens. Production never seeds.
package demo

import (
	"sort"

	"github.com/xroshot/portal/auth"
)

// PersonaInfo is who a demo token speaks for.
type PersonaInfo struct {
	Name    string
	Subject string
	Roles   []auth.Role
	// Actor is act.sub: set for the guardian, who acts for the minor.
	Actor string
	About string
}

// Stable ids of the demo data.
const (
	ActiveID     = "demo-sub-active"
	TerminatedID = "demo-sub-terminated"
	MinorID      = "demo-sub-minor"
	GuardianID   = "demo-guardian"
	AgentID      = "demo-agent"
	AdminID      = "demo-admin"
)

// Personas are the demo's people, by the names `token --demo` takes.
var Personas = []PersonaInfo{
	{Name: "active", Subject: ActiveID, Roles: []auth.Role{auth.RoleSubscriber}, About: "an active subscriber with a full profile, consents and records"},
	{Name: "terminated", Subject: TerminatedID, Roles: []auth.Role{auth.RoleSubscriber}, About: "a subscriber who terminated with fees still unpaid"},
	{Name: "minor", Subject: MinorID, Roles: []auth.Role{auth.RoleSubscriber}, About: "a child under 14: may look, only the guardian may change consents"},
	{Name: "guardian", Subject: MinorID, Actor: GuardianID, Roles: []auth.Role{auth.RoleSubscriber}, About: "the minor's legal guardian, acting for the minor (act.sub)"},
	{Name: "agent", Subject: AgentID, Roles: []auth.Role{auth.RoleAgent}, About: "a support agent working the request queue"},
	{Name: "admin", Subject: AdminID, Roles: []auth.Role{auth.RoleAdmin}, About: "a privacy admin: audit trail, purge runs"},
}

// Persona finds a persona by name.
func Persona(name string) (PersonaInfo, bool) {
	for _, p := range Personas {
		if p.Name == name {
			return p, true
		}
	}
	return PersonaInfo{}, false
}

// PersonaNames lists the persona names, sorted.
func PersonaNames() []string {
	out := make([]string, 0, len(Personas))
	for _, p := range Personas {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}
