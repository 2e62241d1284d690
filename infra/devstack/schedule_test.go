package devstack

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/infra/gateway"
	"github.com/hubsec/trustlayer/infra/samtemplate"
)

func TestParseSchedule(t *testing.T) {
	base := time.Date(2026, 11, 29, 10, 7, 30, 0, time.UTC) // a Sunday
	tests := []struct {
		expr string
		want time.Time
	}{
		{"rate(5 minutes)", base.Add(5 * time.Minute)},
		{"rate(1 minute)", base.Add(time.Minute)},
		{"rate(2 hours)", base.Add(2 * time.Hour)},
		{"rate(1 day)", base.Add(24 * time.Hour)},
		{"cron(0/15 * * * ? *)", time.Date(2026, 11, 29, 10, 15, 0, 0, time.UTC)},
		{"cron(0 12 * * ? *)", time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)},
		{"cron(30 2 1 * ? *)", time.Date(2026, 12, 1, 2, 30, 0, 0, time.UTC)},
		{"cron(0 8 ? * MON-FRI *)", time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)},
		{"cron(10,20 10 ? * 1 *)", time.Date(2026, 11, 29, 10, 10, 0, 0, time.UTC)},
		{"cron(0 0 1 JAN ? 2027)", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		s, err := ParseSchedule(tt.expr)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		if got := s.Next(base); !got.Equal(tt.want) {
			t.Errorf("%s: next after %s is %s, want %s", tt.expr, base, got, tt.want)
		}
	}
	for _, bad := range []string{"rate(5 minute)", "rate(1 minutes)", "rate(0 minutes)", "rate(5 weeks)", "every 5 minutes",
		"cron(* * * * * *)", "cron(0 12 * * ?)", "cron(61 * * * ? *)", "cron(0 12 ? * FOO *)", "cron(5-1 * * * ? *)"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// TestTemplateSchedulesFire reads the real template's Schedule events and
// runs them, sped up, against an invoker that records the events.
func TestTemplateSchedulesFire(t *testing.T) {
	tmpl, err := samtemplate.Load(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 10)
	inv := gateway.InvokerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		got <- payload
		return []byte("null"), nil
	})
	invokers := map[string]gateway.Invoker{}
	for _, f := range tmpl.Functions() {
		invokers[f.LogicalID] = inv
	}
	jobs, err := scheduledJobs(tmpl.Functions(), invokers)
	if err != nil {
		t.Fatal(err)
	}
	var sweeper *scheduledJob
	for i := range jobs {
		if jobs[i].function == "SweeperFunction" {
			sweeper = &jobs[i]
		}
	}
	if sweeper == nil || sweeper.expr != "rate(5 minutes)" {
		t.Fatalf("template schedules: %+v, want SweeperFunction rate(5 minutes)", jobs)
	}
	stop := make(chan struct{})
	defer close(stop)
	// 3000x: the 5-minute rate fires every 100 ms.
	go runSchedule(stop, *sweeper, 3000, func(time.Time, error) {})
	var times []time.Time
	for len(times) < 2 {
		select {
		case p := <-got:
			var ev struct {
				DetailType string    `json:"detail-type"`
				Source     string    `json:"source"`
				Time       time.Time `json:"time"`
				Resources  []string  `json:"resources"`
			}
			if err := json.Unmarshal(p, &ev); err != nil || ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || len(ev.Resources) != 1 {
				t.Fatalf("scheduled event %s: %v", p, err)
			}
			times = append(times, ev.Time)
		case <-time.After(time.Minute):
			t.Fatalf("the sweeper's schedule fired %d times in a minute at 3000x, want 2", len(times))
		}
	}
	if d := times[1].Sub(times[0]); d != 5*time.Minute {
		t.Errorf("two firings %s apart in schedule time, want 5m", d)
	}
}
