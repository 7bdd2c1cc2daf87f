package conformance

import (
	"fmt"
	"sort"
	"strings"
)

// judge makes Autobahn's judgement of the case.
func (p *Peer) judge() Verdict {
	v := Verdict{
		Behavior: p.behavior, Result: p.result,
		CloseBehavior: Failed, CloseResult: "TCP connection was dropped without close handshake",
	}
	for _, e := range p.expected {
		if eventsEqual(p.received, e.events) {
			v.Behavior, v.Result = e.behavior, "Actual events match at least one expected."
			break
		}
	}
	ec := p.expectedClose
	switch {
	case ec.ClosedByMe != p.closedByMe:
		v.CloseBehavior, v.CloseResult = Failed, "The connection was failed by the wrong endpoint"
	case ec.RequireClean && !p.wasClean:
		v.CloseBehavior, v.CloseResult = Unclean, "The spec requires the connection to be failed cleanly here"
	case p.remoteCode != NoCode && !containsCode(ec.Codes, p.remoteCode):
		v.CloseBehavior, v.CloseResult = WrongCode, "The close code should have been "+codesString(ec.Codes)+" or empty"
	case p.droppedByMe && !p.server:
		v.CloseBehavior, v.CloseResult = FailedByClient, "It is preferred that the server close the TCP connection"
	default:
		v.CloseBehavior, v.CloseResult = OK, "Connection was properly closed"
	}
	if ec.WrongEndpointIsFatal && ec.ClosedByMe != p.closedByMe {
		v.Behavior, v.Result = Failed, "The wrong endpoint closed the connection, which fails this case (the "+p.them()+" did not detect what it had to)."
	}
	if p.onLost != nil {
		p.onLost(&v)
	}
	if p.aborted != "" {
		v.Behavior, v.Result = Failed, p.aborted
	}
	return v
}

func containsCode(codes []int, c int) bool {
	for _, x := range codes {
		if x == c {
			return true
		}
	}
	return false
}

func codesString(codes []int) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, ",")
}

func codeString(code int, reason []byte) string {
	if code == NoCode {
		s := "without code"
		if len(reason) > 0 {
			s += " " + quote(reason, 24)
		}
		return s
	}
	s := fmt.Sprint(code)
	if len(reason) > 0 {
		s += " " + quote(reason, 24)
	}
	return s
}

// closeStory tells how the connection ended, in time order.
func (p *Peer) closeStory() string {
	type step struct {
		at   timeOffset
		text string
	}
	var steps []step
	if p.localSent {
		who := p.me() + " sent close "
		if !p.closedByMe {
			who = p.me() + " answered with close "
		}
		steps = append(steps, step{p.localAt, who + codeString(p.localCode, p.localReason)})
	}
	if p.remoteSeen {
		steps = append(steps, step{p.remoteAt, p.them() + " sent close " + codeString(p.remoteCode, p.remoteReason)})
	} else {
		steps = append(steps, step{-1, "no close frame from the " + p.them()})
	}
	if p.lostHow != "" {
		steps = append(steps, step{p.lostAt, p.lostHow})
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at < steps[j].at })
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = s.text
		if s.at >= 0 {
			parts[i] += " at " + s.at.String()
		}
	}
	return strings.Join(parts, ", ")
}

// detail explains a verdict: briefly when all went well, with what was
// received and sent when not.
func (p *Peer) detail(v Verdict, overall Behavior) string {
	story := p.closeStory()
	if p.pmdNote != "" {
		story = p.pmdNote + " | " + story
	}
	if overall == OK {
		return story
	}
	var parts []string
	if v.Behavior != OK {
		s := strings.TrimSuffix(v.Result, ".")
		if v.Behavior == NonStrict && len(p.expected) > 0 {
			s = "Actual events match the NON-STRICT expectation"
		}
		if len(p.expected) > 0 {
			s += ": received " + eventsString(p.received) + "; expected"
			for i, e := range p.expected {
				if i > 0 {
					s += " or"
				}
				s += " " + eventsString(e.events) + " (" + string(e.behavior) + ")"
			}
		}
		parts = append(parts, s)
	}
	if v.CloseBehavior != OK {
		s := "close " + string(v.CloseBehavior) + ": " + v.CloseResult
		if p.notCleanReason != "" && !p.wasClean {
			s += " (" + p.notCleanReason + ")"
		}
		parts = append(parts, s)
	}
	parts = append(parts, story)
	if len(p.violations) > 0 {
		parts = append(parts, p.them()+" violations seen by the "+p.me()+": "+strings.Join(p.violations, "; "))
	}
	if len(p.actions) > 0 {
		parts = append(parts, strings.Join(p.actions, "; "))
	}
	if len(p.notes) > 0 {
		s := make([]string, len(p.notes))
		for i, n := range p.notes {
			s[i] = n.String()
		}
		fr := "frames from the " + p.them() + ": " + strings.Join(s, "; ")
		if p.dropped > 0 {
			fr += fmt.Sprintf("; … %d more", p.dropped)
		}
		parts = append(parts, fr)
	} else {
		parts = append(parts, "no frame from the "+p.them())
	}
	if p.writeErr != nil {
		parts = append(parts, "write error: "+p.writeErr.Error())
	}
	return strings.Join(parts, " | ")
}
