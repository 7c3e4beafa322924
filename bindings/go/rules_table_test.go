package grovekv_test

// The shared table of bad inputs (tests/bad_input/rules.tsv), run through the Go door. Each row
// names an operation, its arguments and the error kind the core gives (a sentinel here); this
// file only turns a row into a call. A new argument rule is a row in the table, not a test here.

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grovekv/grove/bindings/go"
)

var rulesTable = filepath.Join("..", "..", "tests", "bad_input", "rules.tsv")

// errSkip marks a row whose arguments Go's types cannot carry (a NaN time.Duration).
var errSkip = errors.New("not expressible in Go")

var kindSentinels = map[string]error{
	"NotFound": grovekv.ErrNotFound, "WrongType": grovekv.ErrWrongType,
	"InvalidArgument": grovekv.ErrInvalidArgument, "Overflow": grovekv.ErrOverflow,
	"Closed": grovekv.ErrClosed, "StoreLocked": grovekv.ErrStoreLocked,
	"LockTimeout": grovekv.ErrLockTimeout, "ClockDrift": grovekv.ErrClockDrift,
	"Corrupt": grovekv.ErrCorrupt, "Io": grovekv.ErrIo, "Encryption": grovekv.ErrEncryption,
	"Internal": grovekv.ErrInternal,
}

var repeatToken = regexp.MustCompile(`^\{x\*(\d+)\}$`)

func ruleText(token, dir string) string {
	switch token {
	case "{empty}":
		return ""
	case "{sled}":
		return filepath.Join(dir, "store")
	case "{lmdb}":
		return "lmdb:" + filepath.Join(dir, "store")
	}
	if m := repeatToken.FindStringSubmatch(token); m != nil {
		n, _ := strconv.Atoi(m[1])
		return strings.Repeat("x", n)
	}
	return token
}

// ruleSecs converts seconds to a time.Duration, or errSkip when none holds them.
func ruleSecs(t *testing.T, token string) (time.Duration, error) {
	s, err := strconv.ParseFloat(token, 64)
	if err != nil {
		t.Fatalf("bad number %q in %s", token, rulesTable)
	}
	if math.IsNaN(s) || math.IsInf(s, 0) || math.Abs(s) > float64(math.MaxInt64)/1e9 {
		return 0, errSkip
	}
	return time.Duration(s * float64(time.Second)), nil
}

func ruleOpen(t *testing.T, target string, options []string, dir string) error {
	var opts []grovekv.Option
	var key, old []byte
	for _, opt := range options {
		name, value, _ := strings.Cut(opt, "=")
		n, _ := strconv.Atoi(value)
		switch name {
		case "flush_ms":
			opts = append(opts, grovekv.WithFlushInterval(time.Duration(n)*time.Millisecond))
		case "durable":
			opts = append(opts, grovekv.WithDurableWrites())
		case "node_id":
			opts = append(opts, grovekv.WithNodeID(ruleText(value, dir)))
		case "connect_timeout_ms":
			opts = append(opts, grovekv.WithConnectTimeout(time.Duration(n)*time.Millisecond))
		case "key_bytes":
			key = make([]byte, n)
		case "old_key_bytes":
			old = make([]byte, n)
		default:
			t.Fatalf("unknown open option %q in %s", opt, rulesTable)
		}
	}
	if old != nil && key == nil {
		return errSkip // WithEncryptionKey always gives a current key
	}
	if key != nil {
		var olds [][]byte
		if old != nil {
			olds = append(olds, old)
		}
		opts = append(opts, grovekv.WithEncryptionKey(key, olds...))
	}
	db, err := grovekv.Open(ruleText(target, dir), opts...)
	if err == nil {
		_ = db.Close()
	}
	return err
}

func ruleOnStore(t *testing.T, db *grovekv.DB, op string, a []string, dir string) error {
	name := ruleText(a[0], dir)
	secs := func(i int) (time.Duration, error) { return ruleSecs(t, a[i]) }
	num := func(i int) int {
		n, err := strconv.Atoi(a[i])
		if err != nil {
			t.Fatalf("bad integer %q in %s", a[i], rulesTable)
		}
		return n
	}
	switch op {
	case "set":
		var opts []grovekv.SetOption
		if a[2] != "-" {
			d, err := secs(2)
			if err != nil {
				return err
			}
			opts = append(opts, grovekv.WithTTL(d))
		}
		return db.Set(name, []byte(ruleText(a[1], dir)), opts...)
	case "counter":
		_, err := db.Counter(name).Get()
		return err
	case "lock":
		d, err := secs(1)
		if err != nil {
			return err
		}
		_, err = db.Lock(name, d).TryAcquire()
		return err
	case "leaderboard":
		_, err := db.Leaderboard(name).Len()
		return err
	case "queue":
		d, err := secs(1)
		if err != nil {
			return err
		}
		_, err = db.Queue(name, d, num(2)).Stats()
		return err
	case "rate_limiter":
		d, err := secs(2)
		if err != nil {
			return err
		}
		limit := num(1)
		if limit < 0 {
			return errSkip
		}
		_, err = db.RateLimiter(name, uint64(limit), d).Peek("u")
		return err
	case "sessions":
		d, err := secs(0)
		if err != nil {
			return err
		}
		_, err = db.Sessions(d, "sess").Create([]byte("{}"))
		return err
	case "crdt":
		key := ruleText(a[1], dir)
		var err error
		switch a[0] {
		case "counter":
			_, err = db.CRDTCounter(key).Value()
		case "register":
			_, _, err = db.CRDTRegister(key).GetJSON()
		case "set":
			_, err = db.CRDTSet(key).Members()
		case "map":
			_, err = db.CRDTMap(key).Keys()
		default:
			t.Fatalf("unknown CRDT type %q in %s", a[0], rulesTable)
		}
		return err
	case "crdt_json":
		raw := []byte(ruleText(a[2], dir))
		switch a[0] {
		case "register":
			return db.CRDTRegister(ruleText(a[1], dir)).SetJSON(raw)
		case "map":
			return db.CRDTMap(ruleText(a[1], dir)).SetJSON("f", raw)
		}
		t.Fatalf("unknown CRDT type %q in %s", a[0], rulesTable)
	case "leaderboard_add", "leaderboard_incr":
		score, err := strconv.ParseFloat(a[1], 64)
		if err != nil {
			t.Fatalf("bad number %q in %s", a[1], rulesTable)
		}
		if op == "leaderboard_add" {
			return db.Leaderboard("b").Add(name, score)
		}
		_, err = db.Leaderboard("b").Incr(name, score)
		return err
	case "allow":
		_, err := db.RateLimiter("api", uint64(num(0)), time.Minute).Allow("u", uint64(num(1)))
		return err
	case "enqueue", "nack":
		d, err := secs(0)
		if err != nil {
			return err
		}
		q := db.Queue("jobs", 30*time.Second, 5)
		if op == "enqueue" {
			_, err = q.Enqueue([]byte("job"), d)
		} else {
			_, err = q.Nack(1, d)
		}
		return err
	case "expire":
		d, err := secs(1)
		if err != nil {
			return err
		}
		_, err = db.Expire(name, d)
		return err
	case "try_decrement":
		_, _, err := db.Counter("c").TryDecrement(int64(num(0)), 0)
		return err
	case "try_increment":
		_, _, err := db.Counter("c").TryIncrement(int64(num(0)), 100)
		return err
	case "compare_and_set":
		_, err := db.CompareAndSet(name, nil, []byte("v"))
		return err
	}
	t.Fatalf("unknown op %q in %s", op, rulesTable)
	return nil
}

func TestRulesTable(t *testing.T) {
	raw, err := os.ReadFile(rulesTable)
	if err != nil {
		t.Fatal(err)
	}
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rows, ran := 0, 0
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows++
		f := strings.Split(line, "\t")
		op, args, kind := f[0], f[1:len(f)-1], f[len(f)-1]
		want, ok := kindSentinels[kind]
		if !ok {
			t.Fatalf("unknown kind %q in %s", kind, rulesTable)
		}
		label := strings.ReplaceAll(line, "\t", " ")
		if len(label) > 100 {
			label = label[:100]
		}
		t.Run(label, func(t *testing.T) {
			dir := t.TempDir()
			// A target wrongly taken for a path lands in the test's own directory.
			if err := os.Chdir(dir); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = os.Chdir(cwd) }()
			var err error
			if op == "open" {
				err = ruleOpen(t, args[0], args[1:], dir)
				if _, statErr := os.Stat(filepath.Join(dir, "store")); statErr == nil {
					t.Errorf("a refused open left a store behind")
				}
			} else {
				db, openErr := grovekv.OpenMemory()
				if openErr != nil {
					t.Fatal(openErr)
				}
				defer db.Close()
				err = ruleOnStore(t, db, op, args, dir)
				if keys, kerr := db.Keys(""); kerr != nil || len(keys) != 0 {
					t.Errorf("a refused call wrote something: %v %v", keys, kerr)
				}
			}
			if errors.Is(err, errSkip) {
				t.Skip(err)
			}
			if !errors.Is(err, want) || err.Error() == "" {
				t.Fatalf("got %v, want %v", err, want)
			}
			ran++
		})
	}
	if rows < 50 || ran < rows*3/4 {
		t.Fatalf("%d rows read, %d run", rows, ran)
	}
}
