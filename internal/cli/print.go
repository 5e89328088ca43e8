package cli

import (
	"fmt"
	"io"
	"time"
)

func printHeader(out io.Writer, op string, s *session) {
	env := ""
	if s.resolved.Environment != "" {
		env = fmt.Sprintf(", environment %s", s.resolved.Environment)
	}
	scope := ""
	if sc := s.scope.String(); sc != "" {
		scope = ", " + sc
	}
	fmt.Fprintf(out, "kaji %s: project %s%s, context %s (%s), %d release(s)%s\n",
		op, s.resolved.Project, env, s.conn.Context(), s.conn.Host(), len(s.resolved.Releases), scope)
}

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
