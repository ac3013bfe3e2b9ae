package loadtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Memory is a process's resident set, from /proc/PID/status (Linux).
type Memory struct {
	// RSS is the resident set now, HWM its peak (VmHWM): since the process
	// started, or since ResetPeak.
	RSS, HWM int64
}

// MB renders bytes in mebibytes.
func MB(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

// ReadMemory reads the resident set of process pid.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("read the memory of process %d: %w", pid, err)
	}
	var m Memory
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch k {
		case "VmRSS":
			m.RSS = kB(v)
		case "VmHWM":
			m.HWM = kB(v)
		}
	}
	if m.HWM == 0 {
		return Memory{}, fmt.Errorf("process %d: no VmHWM in /proc/%d/status", pid, pid)
	}
	return m, nil
}

// kB parses "  123456 kB" into bytes.
func kB(v string) int64 {
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(f[0], 10, 64)
	return n << 10
}

// ResetPeak resets the peak resident set of process pid to its current
// one (clear_refs 5, Linux 4.0 and later), so that VmHWM read after a run
// is the run's peak. It needs the right to write to the process's
// clear_refs: the same user, or root.
func ResetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// FindServer finds the process listening on the TCP port of endpoint's
// URL, on this machine (Linux): the socket's inode in /proc/net/tcp*, then
// the process holding it.
func FindServer(endpoint string) (int, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return 0, err
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return 0, fmt.Errorf("the server at %s is not on loopback; give its pid with --server-pid", u.Host)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return 0, fmt.Errorf("port %q: %w", port, err)
	}
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if err := listeningInodes(f, p, inodes); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, err
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("no process listens on port %d here; give the server's pid with --server-pid", p)
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		link, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			pid, err := strconv.Atoi(strings.Split(fd, "/")[2])
			if err == nil {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("cannot tell which process listens on port %d (another user's?); give its pid with --server-pid", p)
}

// listeningInodes adds the inodes of the sockets listening on port, from
// one /proc/net/tcp table, to into.
func listeningInodes(table string, port int, into map[string]bool) error {
	b, err := os.ReadFile(table)
	if err != nil {
		return err
	}
	want := fmt.Sprintf(":%04X", port)
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		// sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
		if i == 0 || len(f) < 10 {
			continue
		}
		if strings.HasSuffix(f[1], want) && f[3] == "0A" { // TCP_LISTEN
			into[f[9]] = true
		}
	}
	return nil
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// CPUTime is the CPU time, user and system, that process pid has used.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return statCPU(b)
}

// statCPU reads utime and stime from a /proc/PID/stat line. The command
// name, in parentheses, may hold spaces: the fields are counted after it.
func statCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	// After the name: state (3), …, utime (14), stime (15).
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("unreadable /proc stat times")
	}
	return time.Duration(u+s) * time.Second / clockTicks, nil
}

// PostgresCPU is the CPU time of the PostgreSQL processes on this machine
// that serve database db (their process titles name it), or of every
// postgres process when db is empty, by process id. Backends of other
// databases, and the shared background processes, are left out when db is
// given: another user of the machine's database server does not count
// against a run.
func PostgresCPU(db string) map[int]time.Duration {
	out := map[int]time.Duration{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte("(postgres)")) {
			continue
		}
		if db != "" {
			title, err := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline"))
			// "postgres: 15/main: USER DATABASE HOST(PORT) STATE"
			if err != nil || !bytes.Contains(title, []byte(" "+db+" ")) {
				continue
			}
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil {
			continue
		}
		if d, err := statCPU(b); err == nil {
			out[pid] = d
		}
	}
	return out
}

// PostgresCPUSince is the CPU time the backends alive at now used since
// then: a backend that has ended in between (another server's pool closing
// an idle connection, the baseline's connections closing) takes away none
// of it, where a difference of sums would subtract everything it had used
// before. A backend started in between counts whole.
func PostgresCPUSince(then, now map[int]time.Duration) time.Duration {
	var total time.Duration
	for pid, d := range now {
		if d >= then[pid] {
			total += d - then[pid]
		} else {
			// The process id was reused by a new backend.
			total += d
		}
	}
	return total
}
