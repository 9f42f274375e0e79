package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tourStep is one "$ command" of a console block in README.md and the output
// the README shows for it.
type tourStep struct {
	command string
	want    []string
}

// readmeTour reads every ```console block of the README in order.
func readmeTour(t *testing.T, path string) []tourStep {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []tourStep
	inBlock := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "```console":
			inBlock = true
		case inBlock && line == "```":
			inBlock = false
		case inBlock && strings.HasPrefix(line, "$ "):
			steps = append(steps, tourStep{command: strings.TrimPrefix(line, "$ ")})
		case inBlock && len(steps) > 0:
			steps[len(steps)-1].want = append(steps[len(steps)-1].want, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return steps
}

// matchOutput compares output lines with the README's: a line "..." stands
// for any number of lines, and "..." inside a line for any text.
func matchOutput(got, want []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "..." {
		for i := 0; i <= len(got); i++ {
			if matchOutput(got[i:], want[1:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && matchLine(got[0], want[0]) && matchOutput(got[1:], want[1:])
}

func matchLine(got, want string) bool {
	parts := strings.Split(want, "...")
	if !strings.HasPrefix(got, parts[0]) {
		return false
	}
	got = got[len(parts[0]):]
	for _, p := range parts[1:] {
		i := strings.Index(got, p)
		if i < 0 {
			return false
		}
		got = got[i+len(p):]
	}
	return len(parts) > 1 || got == ""
}

// TestReadmeTour runs the README's console commands as written against a real
// broker, and checks each one's output. The only change is the broker's
// address: the test's broker listens on a free port instead of 7070.
func TestReadmeTour(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	grpcurl := filepath.Join(repo, "bin", "grpcurl")
	if _, err := os.Stat(grpcurl); err != nil {
		t.Fatalf("%s is missing: run 'make tools' (make test does)", grpcurl)
	}
	work := t.TempDir()
	if err := os.Mkdir(filepath.Join(work, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"sluice": sluiceBinary(t), "grpcurl": grpcurl} {
		if err := os.Symlink(target, filepath.Join(work, "bin", name)); err != nil {
			t.Fatal(err)
		}
	}
	b := startBroker(t, t.TempDir(), "")
	steps := readmeTour(t, filepath.Join(repo, "README.md"))
	if len(steps) < 5 {
		t.Fatalf("found %d tour commands in README.md", len(steps))
	}
	for _, s := range steps {
		cmd := exec.Command("bash", "-c", strings.ReplaceAll(s.command, "127.0.0.1:7070", b.addr))
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "SLUICE_BROKER="+b.addr)
		out, _ := cmd.CombinedOutput()
		got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if len(out) == 0 {
			got = nil
		}
		if !matchOutput(got, s.want) {
			t.Errorf("$ %s\ngot:\n%s\nREADME shows:\n%s", s.command, out, strings.Join(s.want, "\n"))
		}
	}
}

func TestMatchOutput(t *testing.T) {
	cases := []struct {
		got, want []string
		ok        bool
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, true},
		{[]string{"a", "b"}, []string{"a"}, false},
		{[]string{"a", "x", "y", "b"}, []string{"a", "...", "b"}, true},
		{[]string{"a"}, []string{"..."}, true},
		{nil, []string{"..."}, true},
		{[]string{`{"t":"2026","v":1}`}, []string{`{"t":"...","v":1}`}, true},
		{[]string{`{"t":"2026","v":2}`}, []string{`{"t":"...","v":1}`}, false},
	}
	for _, c := range cases {
		if got := matchOutput(c.got, c.want); got != c.ok {
			t.Errorf("matchOutput(%q, %q) = %v", c.got, c.want, got)
		}
	}
}
