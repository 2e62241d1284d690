package devstack

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/infra/gateway"
	"github.com/hubsec/trustlayer/infra/samtemplate"
)

// Schedule is an EventBridge schedule expression: rate(...) or cron(...).
type Schedule interface {
	// Next is the first firing time strictly after t.
	Next(t time.Time) time.Time
}

// ParseSchedule parses "rate(5 minutes)" or "cron(0/15 * * * ? *)" as
// EventBridge does (cron: minutes hours day-of-month month day-of-week
// year, UTC; one of the two day fields is "?").
func ParseSchedule(expr string) (Schedule, error) {
	expr = strings.TrimSpace(expr)
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		return parseRate(expr[len("rate(") : len(expr)-1])
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		return parseCron(expr[len("cron(") : len(expr)-1])
	}
	return nil, fmt.Errorf("schedule %q: want rate(N unit) or cron(min hour dom month dow year)", expr)
}

type rate time.Duration

func (r rate) Next(t time.Time) time.Time { return t.Add(time.Duration(r)) }

func parseRate(s string) (Schedule, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return nil, fmt.Errorf("rate(%s): want rate(N unit)", s)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 {
		return nil, fmt.Errorf("rate(%s): %q is not a positive whole number", s, f[0])
	}
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit, plural := strings.CutSuffix(f[1], "s")
	d, ok := units[unit]
	// EventBridge wants the singular for 1 and the plural otherwise.
	if !ok || plural != (n != 1) {
		return nil, fmt.Errorf("rate(%s): unit %q: use minute/hour/day for 1, minutes/hours/days otherwise", s, f[1])
	}
	return rate(time.Duration(n) * d), nil
}

// cron is a set of allowed values per field; nil means any.
type cron struct {
	min, hour, dom, month, dow, year map[int]bool
}

func parseCron(s string) (Schedule, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron(%s): want 6 fields: minutes hours day-of-month month day-of-week year", s)
	}
	if (f[2] == "?") == (f[4] == "?") {
		return nil, fmt.Errorf("cron(%s): exactly one of day-of-month and day-of-week must be ?", s)
	}
	var c cron
	var err error
	fields := []struct {
		dst      *map[int]bool
		lo, hi   int
		names    []string
		nameBase int
	}{
		{&c.min, 0, 59, nil, 0},
		{&c.hour, 0, 23, nil, 0},
		{&c.dom, 1, 31, nil, 0},
		{&c.month, 1, 12, []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}, 1},
		{&c.dow, 1, 7, []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, 1},
		{&c.year, 1970, 2199, nil, 0},
	}
	for i, fd := range fields {
		if *fd.dst, err = cronField(f[i], fd.lo, fd.hi, fd.names, fd.nameBase); err != nil {
			return nil, fmt.Errorf("cron(%s): field %d: %w", s, i+1, err)
		}
	}
	return c, nil
}

// cronField parses *, ?, N, A-B, A/S, */S, A-B/S and comma lists.
func cronField(s string, lo, hi int, names []string, base int) (map[int]bool, error) {
	if s == "*" || s == "?" {
		return nil, nil
	}
	num := func(v string) (int, error) {
		for i, n := range names {
			if strings.EqualFold(v, n) {
				return i + base, nil
			}
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%q is not in %d-%d", v, lo, hi)
		}
		return n, nil
	}
	out := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		rng, stepS, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			var err error
			if step, err = strconv.Atoi(stepS); err != nil || step < 1 {
				return nil, fmt.Errorf("step %q is not a positive number", stepS)
			}
		}
		from, to := lo, hi
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if from, err = num(a); err != nil {
				return nil, err
			}
			to = from
			if isRange {
				if to, err = num(b); err != nil {
					return nil, err
				}
			} else if hasStep {
				to = hi
			}
		}
		if from > to {
			return nil, fmt.Errorf("range %q runs backwards", rng)
		}
		for v := from; v <= to; v += step {
			out[v] = true
		}
	}
	return out, nil
}

func allows(set map[int]bool, v int) bool { return set == nil || set[v] }

func (c cron) Next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	// A matching minute exists within a few years or never (e.g. 30 FEB);
	// stop after five years of minutes, checked a day at a time when the
	// day does not match.
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		if !allows(c.year, t.Year()) || !allows(c.month, int(t.Month())) ||
			!allows(c.dom, t.Day()) || !allows(c.dow, int(t.Weekday())+1) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !allows(c.hour, t.Hour()) {
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, time.UTC)
			continue
		}
		if allows(c.min, t.Minute()) {
			return t
		}
		t = t.Add(time.Minute)
	}
	return time.Time{}
}

// scheduledJob is one Schedule event of a function.
type scheduledJob struct {
	function, event, expr string
	schedule              Schedule
	invoker               gateway.Invoker
}

// scheduledJobs lists the functions' Schedule events (an event with
// Enabled: false is left out, as EventBridge does).
func scheduledJobs(fns []samtemplate.Function, invokers map[string]gateway.Invoker) ([]scheduledJob, error) {
	var jobs []scheduledJob
	for _, f := range fns {
		for _, ev := range f.Events {
			if ev.Type != "Schedule" && ev.Type != "ScheduleV2" {
				continue
			}
			if en, ok := ev.Properties["Enabled"].(bool); ok && !en {
				continue
			}
			expr := samtemplate.String(ev.Properties["Schedule"])
			if expr == "" {
				expr = samtemplate.String(ev.Properties["ScheduleExpression"])
			}
			sch, err := ParseSchedule(expr)
			if err != nil {
				return nil, fmt.Errorf("%s event %s: %w", f.LogicalID, ev.Name, err)
			}
			inv, ok := invokers[f.LogicalID]
			if !ok {
				continue
			}
			jobs = append(jobs, scheduledJob{f.LogicalID, ev.Name, expr, sch, inv})
		}
	}
	return jobs, nil
}

// runSchedule invokes job on its schedule until stop closes. speedup > 1
// runs the schedule's clock that much faster (rate(5 minutes) with speedup
// 300 fires every second); the event's time is the schedule's time.
func runSchedule(stop <-chan struct{}, job scheduledJob, speedup float64, report func(fired time.Time, err error)) {
	if speedup <= 0 {
		speedup = 1
	}
	start := time.Now()
	virtual := func(real time.Time) time.Time {
		return start.Add(time.Duration(float64(real.Sub(start)) * speedup))
	}
	next := job.schedule.Next(start)
	for !next.IsZero() {
		wait := time.Duration(float64(next.Sub(virtual(time.Now()))) / speedup)
		timer := time.NewTimer(max(wait, 0))
		select {
		case <-stop:
			timer.Stop()
			return
		case <-timer.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		_, err := job.invoker.Invoke(ctx, scheduledEvent(job, next))
		cancel()
		report(next, err)
		next = job.schedule.Next(next)
	}
}

// scheduledEvent is the EventBridge "Scheduled Event" a rule sends.
func scheduledEvent(job scheduledJob, at time.Time) []byte {
	var id [16]byte
	rand.Read(id[:])
	b, _ := json.Marshal(map[string]any{
		"version":     "0",
		"id":          fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:]),
		"detail-type": "Scheduled Event",
		"source":      "aws.events",
		"account":     gateway.DefaultAccountID,
		"time":        at.UTC().Format(time.RFC3339),
		"region":      Region,
		"resources":   []string{fmt.Sprintf("arn:aws:events:%s:%s:rule/%s-%s", Region, gateway.DefaultAccountID, job.function, job.event)},
		"detail":      map[string]any{},
	})
	return b
}

// startSchedules runs every Schedule event of the template against the
// running functions.
func (s *Stack) startSchedules(fns []samtemplate.Function, invokers map[string]gateway.Invoker) error {
	jobs, err := scheduledJobs(fns, invokers)
	if err != nil {
		return err
	}
	for _, job := range jobs {
		s.Schedules = append(s.Schedules, fmt.Sprintf("%s.%s %s", job.function, job.event, job.expr))
		go runSchedule(s.closeCh, job, s.opts.ScheduleSpeedup, func(at time.Time, err error) {
			if err != nil {
				s.log.Error("scheduled invoke failed", "function", job.function, "event", job.event, "time", at, "err", err)
				return
			}
			s.log.Info("scheduled invoke", "function", job.function, "event", job.event, "time", at)
		})
	}
	return nil
}
