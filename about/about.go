// Package about names what a queued reply quotes (flows.Reply.About): when
// a registration or an agent record is erased at its owner's request, the
// replies still waiting that quote it are erased with it.
package about

import "strconv"

// Registration is the key of a registration, by its reference.
func Registration(ref string) string { return "reg:" + ref }

// Agent is the key of an agent record.
func Agent(id int64) string { return "agent:" + strconv.FormatInt(id, 10) }
