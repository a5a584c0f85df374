package workshop

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestICalendar(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	long := strings.Repeat("Atelier d’identification des victimes, ", 5)
	out := ICalendar([]Event{{UID: "workshop-1@polis", Start: start, End: start.Add(2 * time.Hour), Summary: long,
		Description: "Line one\nLine two; with, punctuation \\ backslash", URL: "https://polis.example/en/workshops/ws1"}}, start)
	if !strings.HasPrefix(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") || !strings.HasSuffix(out, "END:VCALENDAR\r\n") {
		t.Fatalf("envelope: %q", out)
	}
	for _, want := range []string{"DTSTART:20261201T093000Z\r\n", "DTEND:20261201T113000Z\r\n",
		`DESCRIPTION:Line one\nLine two\; with\, punctuation \\ backslash` + "\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("folding split a character: %q", line)
		}
	}
	// Unfolding gives the escaped summary back.
	unfolded := strings.ReplaceAll(out, "\r\n ", "")
	if !strings.Contains(unfolded, "SUMMARY:"+strings.ReplaceAll(long, ",", `\,`)+"\r\n") {
		t.Error("folded summary does not unfold to the original")
	}
	if strings.Contains(out, "\n") && strings.Count(out, "\n") != strings.Count(out, "\r\n") {
		t.Error("bare LF in output")
	}
}
