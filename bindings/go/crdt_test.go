package grovekv_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	grovekv "github.com/grovekv/grove/bindings/go"
)

// node opens an in-memory replica with the given node id.
func node(t *testing.T, id string) *grovekv.DB {
	t.Helper()
	db, err := grovekv.OpenMemory(grovekv.WithNodeID(id))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func value(t *testing.T, c *grovekv.CRDTCounter) int64 {
	t.Helper()
	v, err := c.Value()
	must(t, err)
	return v
}

func syncOK(t *testing.T, a, b *grovekv.DB) grovekv.SyncReport {
	t.Helper()
	r, err := grovekv.Sync(a, b)
	must(t, err)
	return r
}

func wantReport(t *testing.T, got grovekv.SyncReport, pulled, pushed, merged uint64) {
	t.Helper()
	want := grovekv.SyncReport{Pulled: pulled, Pushed: pushed, Merged: merged}
	if got != want {
		t.Fatalf("sync report %+v, want %+v", got, want)
	}
}

func vector(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "tests", "vectors", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func raws(items ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(items))
	for i, s := range items {
		out[i] = json.RawMessage(s)
	}
	return out
}

func TestCRDTCounter(t *testing.T) {
	db := node(t, "n1")
	c := db.CRDTCounter("crdt:views")
	if v := value(t, c); v != 0 {
		t.Fatalf("fresh counter is %d", v)
	}
	steps := []struct {
		f    func() (int64, error)
		want int64
	}{
		{func() (int64, error) { return c.Increment(10) }, 10},
		{func() (int64, error) { return c.Decrement(3) }, 7},
		{func() (int64, error) { return c.Add(-10) }, -3},
		{func() (int64, error) { return c.Add(4) }, 1},
	}
	for i, s := range steps {
		v, err := s.f()
		must(t, err)
		if v != s.want {
			t.Fatalf("step %d: %d, want %d", i, v, s.want)
		}
	}
	p, n, err := c.Totals()
	must(t, err)
	if p != 14 || n != 13 {
		t.Fatalf("totals %d/%d", p, n)
	}
	contrib, err := c.Contributions()
	must(t, err)
	if !reflect.DeepEqual(contrib, map[string]grovekv.Contribution{"n1": {Increments: 14, Decrements: 13}}) {
		t.Fatalf("contributions %v", contrib)
	}
	v, err := c.ResetLocal()
	must(t, err)
	if v != 0 {
		t.Fatalf("after ResetLocal %d", v)
	}
	if p, n, _ = c.Totals(); p != 14 || n != 14 {
		t.Fatalf("ResetLocal is not monotone: %d/%d", p, n)
	}
	if k, _ := db.Type("crdt:views"); k != grovekv.KindCRDTCounter {
		t.Fatalf("kind %v", k)
	}

	// State round trip into another replica, idempotent.
	_, err = c.Increment(5)
	must(t, err)
	state, err := c.State()
	must(t, err)
	other := node(t, "n2").CRDTCounter("crdt:views")
	changed, err := other.Merge(state)
	must(t, err)
	if !changed || value(t, other) != 5 {
		t.Fatalf("merge: changed %v value %d", changed, value(t, other))
	}
	if changed, _ = other.Merge(state); changed {
		t.Fatal("second merge changed the counter")
	}

	// Overflow is checked and changes nothing.
	big := db.CRDTCounter("crdt:big")
	_, err = big.Increment(1<<64 - 1)
	wantErr(t, err, grovekv.ErrOverflow)
	if value(t, big) != 0 {
		t.Fatal("overflowing increment changed the counter")
	}

	// Wrong types: a key holding bytes, and merging another CRDT's state.
	must(t, db.Set("plain", []byte("hello")))
	_, err = db.CRDTCounter("plain").Increment(1)
	wantErr(t, err, grovekv.ErrWrongType)
	reg := db.CRDTRegister("crdt:reg")
	must(t, reg.Set("x"))
	rs, err := reg.State()
	must(t, err)
	_, err = c.Merge(rs)
	wantErr(t, err, grovekv.ErrWrongType)
	_, err = c.Merge([]byte("nonsense"))
	wantErr(t, err, grovekv.ErrCorrupt)
	_, err = c.Merge(nil)
	wantErr(t, err, grovekv.ErrCorrupt)
	if value(t, c) != 5 {
		t.Fatal("a refused merge changed the counter")
	}
	_, err = db.CRDTCounter("").Increment(1)
	wantErr(t, err, grovekv.ErrInvalidArgument)
}

func TestCRDTRegister(t *testing.T) {
	db := node(t, "r1")
	r := db.CRDTRegister("crdt:user:name")
	var name string
	ok, err := r.Get(&name)
	must(t, err)
	if ok {
		t.Fatal("fresh register is set")
	}
	if raw, ok, err := r.GetJSON(); err != nil || ok || raw != nil {
		t.Fatalf("GetJSON of a fresh register: %q %v %v", raw, ok, err)
	}
	must(t, r.Set("Ada"))
	ok, err = r.Get(&name)
	must(t, err)
	if !ok || name != "Ada" {
		t.Fatalf("Get: %v %q", ok, name)
	}
	type profile struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	must(t, r.Set(profile{Name: "Grace", Age: 85}))
	raw, ok, err := r.GetJSON()
	must(t, err)
	if !ok || string(raw) != `{"age":85,"name":"Grace"}` {
		t.Fatalf("canonical JSON: %s", raw)
	}
	var p profile
	if ok, err = r.Get(&p); err != nil || !ok || p.Age != 85 {
		t.Fatalf("Get struct: %v %v %+v", ok, err, p)
	}
	must(t, r.SetJSON(json.RawMessage(`{ "b": [1, 2], "a": null }`)))
	if raw, _, _ = r.GetJSON(); string(raw) != `{"a":null,"b":[1,2]}` {
		t.Fatalf("SetJSON not canonical: %s", raw)
	}
	wantErr(t, r.SetJSON(json.RawMessage(`{nope`)), grovekv.ErrInvalidArgument)
	wantErr(t, r.SetJSON(nil), grovekv.ErrInvalidArgument)
	wantErr(t, r.Set(make(chan int)), grovekv.ErrInvalidArgument)
	wantErr(t, r.Set(json.RawMessage(`{nope`)), grovekv.ErrInvalidArgument)
	var n int
	_, err = r.Get(&n)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	if raw, _, _ = r.GetJSON(); string(raw) != `{"a":null,"b":[1,2]}` {
		t.Fatalf("a refused write changed the register: %s", raw)
	}

	// The later write wins on both replicas.
	r2 := node(t, "r2").CRDTRegister("crdt:user:name")
	time.Sleep(3 * time.Millisecond)
	must(t, r2.Set("later"))
	s1, err := r.State()
	must(t, err)
	s2, err := r2.State()
	must(t, err)
	if changed, err := r2.Merge(s1); err != nil || changed {
		t.Fatalf("older state changed r2: %v %v", changed, err)
	}
	if changed, err := r.Merge(s2); err != nil || !changed {
		t.Fatalf("newer state did not change r: %v %v", changed, err)
	}
	if ok, _ = r.Get(&name); !ok || name != "later" {
		t.Fatalf("after merge %q", name)
	}
}

func TestCRDTSet(t *testing.T) {
	db := node(t, "s1")
	s := db.CRDTSet("crdt:tags")
	must(t, s.Add("go"))
	must(t, s.Add(map[string]int{"y": 2, "x": 1}))
	must(t, s.Add("go"))
	must(t, s.Add(7))
	must(t, s.Add(json.RawMessage(` "raw" `)))
	n, err := s.Len()
	must(t, err)
	if n != 4 {
		t.Fatalf("len %d", n)
	}
	members, err := s.Members()
	must(t, err)
	if want := raws(`"go"`, `"raw"`, `7`, `{"x":1,"y":2}`); !reflect.DeepEqual(members, want) {
		t.Fatalf("members %s", members)
	}
	for _, v := range []interface{}{"go", json.RawMessage(`{"y":2,"x":1}`), 7, "raw"} {
		if ok, err := s.Contains(v); err != nil || !ok {
			t.Fatalf("Contains(%v): %v %v", v, ok, err)
		}
	}
	if ok, _ := s.Contains("rust"); ok {
		t.Fatal("contains rust")
	}
	removed, err := s.Remove(7)
	must(t, err)
	if !removed {
		t.Fatal("Remove(7) found nothing")
	}
	if removed, _ = s.Remove(7); removed {
		t.Fatal("second Remove(7) removed something")
	}
	wantErr(t, s.Add(json.RawMessage(`[1,`)), grovekv.ErrInvalidArgument)
	_, err = s.Contains(func() {})
	wantErr(t, err, grovekv.ErrInvalidArgument)
	state, err := db.CRDTMap("crdt:m").State()
	must(t, err)
	_, err = s.Merge(state)
	wantErr(t, err, grovekv.ErrWrongType)
	_, err = s.Merge([]byte("garbage"))
	wantErr(t, err, grovekv.ErrCorrupt)
	if n, _ = s.Len(); n != 3 {
		t.Fatalf("len after refused merges %d", n)
	}
	empty, err := db.CRDTSet("crdt:empty").Members()
	must(t, err)
	if empty == nil || len(empty) != 0 {
		t.Fatalf("empty members %v", empty)
	}
}

func TestCRDTMap(t *testing.T) {
	db := node(t, "m1")
	m := db.CRDTMap("crdt:config:app")
	must(t, m.Set("max_connections", 100))
	must(t, m.Set("log_level", "info"))
	must(t, m.SetJSON("limits", json.RawMessage(`{"z": 1, "a": [true]}`)))
	var max int
	ok, err := m.Get("max_connections", &max)
	must(t, err)
	if !ok || max != 100 {
		t.Fatalf("Get: %v %d", ok, max)
	}
	raw, ok, err := m.GetJSON("limits")
	must(t, err)
	if !ok || string(raw) != `{"a":[true],"z":1}` {
		t.Fatalf("GetJSON: %s", raw)
	}
	keys, err := m.Keys()
	must(t, err)
	if !reflect.DeepEqual(keys, []string{"limits", "log_level", "max_connections"}) {
		t.Fatalf("keys %v", keys)
	}
	deleted, err := m.Delete("limits")
	must(t, err)
	if !deleted {
		t.Fatal("Delete found nothing")
	}
	if deleted, _ = m.Delete("limits"); deleted {
		t.Fatal("second Delete deleted something")
	}
	if _, ok, _ = m.GetJSON("limits"); ok {
		t.Fatal("deleted field still has a value")
	}
	all, err := m.All()
	must(t, err)
	want := map[string]json.RawMessage{"log_level": json.RawMessage(`"info"`), "max_connections": json.RawMessage(`100`)}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("All %v", all)
	}
	wantErr(t, m.Set("", 1), grovekv.ErrInvalidArgument)
	wantErr(t, m.SetJSON("f", json.RawMessage(`{`)), grovekv.ErrInvalidArgument)
	_, err = m.Delete("")
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = m.Merge(vector(t, "counter_us_east_100.bin"))
	wantErr(t, err, grovekv.ErrWrongType)
}

// Seed story: US-East +100 and EU-West +250 give 350 on both after a sync.
func TestCRDTSeedPageViews(t *testing.T) {
	us, eu := node(t, "us-east-1"), node(t, "eu-west-1")
	a, b := us.CRDTCounter("crdt:page:home:views"), eu.CRDTCounter("crdt:page:home:views")
	_, err := a.Increment(100)
	must(t, err)
	_, err = b.Increment(250)
	must(t, err)
	wantReport(t, syncOK(t, us, eu), 0, 0, 1)
	if value(t, a) != 350 || value(t, b) != 350 {
		t.Fatalf("after sync %d / %d", value(t, a), value(t, b))
	}
	wantReport(t, syncOK(t, us, eu), 0, 0, 0)
	wantReport(t, syncOK(t, eu, us), 0, 0, 0)
	contrib, err := a.Contributions()
	must(t, err)
	want := map[string]grovekv.Contribution{"us-east-1": {Increments: 100}, "eu-west-1": {Increments: 250}}
	if !reflect.DeepEqual(contrib, want) {
		t.Fatalf("contributions %v", contrib)
	}
}

// Seed story: Node A +5, Node B +3, Node A -2 gives 6.
func TestCRDTSeedPNCounter(t *testing.T) {
	na, nb := node(t, "node-a"), node(t, "node-b")
	a, b := na.CRDTCounter("crdt:stock"), nb.CRDTCounter("crdt:stock")
	_, err := a.Increment(5)
	must(t, err)
	_, err = b.Increment(3)
	must(t, err)
	v, err := a.Decrement(2)
	must(t, err)
	if v != 3 {
		t.Fatalf("A alone %d", v)
	}
	syncOK(t, na, nb)
	if value(t, a) != 6 || value(t, b) != 6 {
		t.Fatalf("after sync %d / %d", value(t, a), value(t, b))
	}
	p, n, err := b.Totals()
	must(t, err)
	if p != 8 || n != 2 {
		t.Fatalf("totals %d/%d", p, n)
	}
	// ResetLocal survives the merge: A's net share becomes 0, B's 3 remains.
	_, err = a.ResetLocal()
	must(t, err)
	syncOK(t, na, nb)
	if value(t, a) != 3 || value(t, b) != 3 {
		t.Fatalf("after ResetLocal and sync %d / %d", value(t, a), value(t, b))
	}
}

// Seed story: a concurrent add and remove of a tag keeps it (add wins).
func TestCRDTSeedTags(t *testing.T) {
	na, nb := node(t, "node-a"), node(t, "node-b")
	a, b := na.CRDTSet("crdt:tags:article:1"), nb.CRDTSet("crdt:tags:article:1")
	must(t, a.Add("go"))
	must(t, a.Add("crdt"))
	must(t, b.Add("distributed"))
	removed, err := b.Remove("crdt") // B never observed A's add
	must(t, err)
	if removed {
		t.Fatal("B removed an element it never saw")
	}
	syncOK(t, na, nb)
	want := raws(`"crdt"`, `"distributed"`, `"go"`)
	for _, s := range []*grovekv.CRDTSet{a, b} {
		m, err := s.Members()
		must(t, err)
		if !reflect.DeepEqual(m, want) {
			t.Fatalf("members %s", m)
		}
	}
	// Both saw "crdt"; A removes it while B adds it again: B's new add wins.
	_, err = a.Remove("crdt")
	must(t, err)
	must(t, b.Add("crdt"))
	syncOK(t, na, nb)
	for _, s := range []*grovekv.CRDTSet{a, b} {
		if ok, _ := s.Contains("crdt"); !ok {
			t.Fatal(`"crdt" lost to a concurrent remove`)
		}
	}
	// A remove that observed the add does remove.
	_, err = b.Remove("go")
	must(t, err)
	syncOK(t, na, nb)
	if ok, _ := a.Contains("go"); ok {
		t.Fatal(`"go" survived an observed remove`)
	}
}

// Seed story: the config map merges field by field.
func TestCRDTSeedConfigMap(t *testing.T) {
	na, nb := node(t, "node-a"), node(t, "node-b")
	a, b := na.CRDTMap("crdt:config:app"), nb.CRDTMap("crdt:config:app")
	must(t, a.Set("max_connections", 100))
	must(t, a.Set("log_level", "info"))
	time.Sleep(3 * time.Millisecond)
	must(t, b.Set("log_level", "debug"))
	must(t, b.Set("feature_x", true))
	syncOK(t, na, nb)
	for _, m := range []*grovekv.CRDTMap{a, b} {
		keys, err := m.Keys()
		must(t, err)
		if !reflect.DeepEqual(keys, []string{"feature_x", "log_level", "max_connections"}) {
			t.Fatalf("keys %v", keys)
		}
		var level string
		var feature bool
		var max int
		if ok, err := m.Get("log_level", &level); !ok || err != nil || level != "debug" {
			t.Fatalf("log_level %q %v", level, err)
		}
		if ok, _ := m.Get("feature_x", &feature); !ok || !feature {
			t.Fatal("feature_x lost")
		}
		if ok, _ := m.Get("max_connections", &max); !ok || max != 100 {
			t.Fatal("max_connections lost")
		}
	}
}

// A field deleted on one side is not resurrected by an older concurrent set on the other.
func TestCRDTMapDeleteNotResurrected(t *testing.T) {
	na, nb := node(t, "node-a"), node(t, "node-b")
	a, b := na.CRDTMap("crdt:cfg"), nb.CRDTMap("crdt:cfg")
	must(t, a.Set("x", 0))
	must(t, a.Set("keep", 1))
	syncOK(t, na, nb)
	must(t, a.Set("x", 1)) // older, never seen by B
	time.Sleep(3 * time.Millisecond)
	deleted, err := b.Delete("x") // newer
	must(t, err)
	if !deleted {
		t.Fatal("B had no x to delete")
	}
	r := syncOK(t, na, nb)
	if r.Merged != 1 {
		t.Fatalf("report %+v", r)
	}
	for _, m := range []*grovekv.CRDTMap{a, b} {
		if _, ok, _ := m.GetJSON("x"); ok {
			t.Fatal("deleted field came back after sync")
		}
		if raw, ok, _ := m.GetJSON("keep"); !ok || string(raw) != "1" {
			t.Fatal("keep lost")
		}
	}
	wantReport(t, syncOK(t, na, nb), 0, 0, 0)
}

// The Go Syncer scenario: every CRDT type survives a sync unchanged in value; refusals.
func TestCRDTSyncKeepsValues(t *testing.T) {
	na, nb := node(t, "node-a"), node(t, "node-b")
	_, err := na.CRDTCounter("crdt:c").Increment(42)
	must(t, err)
	must(t, na.CRDTRegister("crdt:r").Set(map[string]string{"name": "Ada"}))
	must(t, na.CRDTSet("crdt:s").Add("x"))
	must(t, na.CRDTMap("crdt:m").Set("f", []int{1}))
	wantReport(t, syncOK(t, na, nb), 0, 4, 0)
	wantReport(t, syncOK(t, nb, na), 0, 0, 0)
	for _, db := range []*grovekv.DB{na, nb} {
		if v := value(t, db.CRDTCounter("crdt:c")); v != 42 {
			t.Fatalf("counter %d", v)
		}
		if raw, _, _ := db.CRDTRegister("crdt:r").GetJSON(); string(raw) != `{"name":"Ada"}` {
			t.Fatalf("register %s", raw)
		}
		if ok, _ := db.CRDTSet("crdt:s").Contains("x"); !ok {
			t.Fatal("set lost x")
		}
		if raw, _, _ := db.CRDTMap("crdt:m").GetJSON("f"); string(raw) != "[1]" {
			t.Fatalf("map field %s", raw)
		}
	}
	wantReport(t, syncOK(t, node(t, "node-c"), na), 4, 0, 0)

	_, err = grovekv.Sync(na, na)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	view, err := na.Namespace("t")
	must(t, err)
	_, err = grovekv.Sync(na, view)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = grovekv.Sync(na, node(t, "node-a"))
	wantErr(t, err, grovekv.ErrInvalidArgument)
	_, err = grovekv.Sync(nil, na)
	wantErr(t, err, grovekv.ErrInvalidArgument)
	nd := node(t, "node-d")
	_, err = nd.CRDTCounter("crdt:r").Increment(1)
	must(t, err)
	_, err = grovekv.Sync(nd, na)
	wantErr(t, err, grovekv.ErrWrongType)
	if raw, _, _ := na.CRDTRegister("crdt:r").GetJSON(); string(raw) != `{"name":"Ada"}` {
		t.Fatalf("refused sync changed the register: %s", raw)
	}
}

// Export since a cursor carries only the keys changed after it.
func TestCRDTExportSinceCursor(t *testing.T) {
	na := node(t, "node-a")
	_, err := na.CRDTCounter("crdt:one").Increment(1)
	must(t, err)
	two := na.CRDTCounter("crdt:two")
	_, err = two.Increment(2)
	must(t, err)
	must(t, na.CRDTSet("crdt:three").Add(3))
	full, cursor, err := na.ExportChanges(0)
	must(t, err)
	if cursor == 0 || len(full) < 5 {
		t.Fatalf("full export: %d bytes, cursor %d", len(full), cursor)
	}
	_, err = two.Increment(5)
	must(t, err)
	delta, cursor2, err := na.ExportChanges(cursor)
	must(t, err)
	if cursor2 <= cursor || len(delta) >= len(full) {
		t.Fatalf("delta: %d bytes (full %d), cursor %d -> %d", len(delta), len(full), cursor, cursor2)
	}
	nb := node(t, "node-b")
	r, err := nb.ApplyChanges(delta)
	must(t, err)
	wantReport(t, r, 1, 0, 0)
	if _, err := nb.Get("crdt:one"); !errors.Is(err, grovekv.ErrNotFound) {
		t.Fatalf("unchanged key travelled: %v", err)
	}
	if v := value(t, nb.CRDTCounter("crdt:two")); v != 7 {
		t.Fatalf("crdt:two is %d", v)
	}
	r, err = nb.ApplyChanges(full)
	must(t, err)
	wantReport(t, r, 2, 0, 0)
	r, err = nb.ApplyChanges(full)
	must(t, err)
	wantReport(t, r, 0, 0, 0)
	none, cursor3, err := na.ExportChanges(cursor2)
	must(t, err)
	if cursor3 != cursor2 {
		t.Fatalf("cursor moved without changes: %d -> %d", cursor2, cursor3)
	}
	r, err = nb.ApplyChanges(none)
	must(t, err)
	wantReport(t, r, 0, 0, 0)
	_, err = nb.ApplyChanges(full[:len(full)-1])
	wantErr(t, err, grovekv.ErrCorrupt)
	_, err = nb.ApplyChanges(nil)
	wantErr(t, err, grovekv.ErrCorrupt)
}

// The shared vectors in tests/vectors.
func TestCRDTVectors(t *testing.T) {
	db := node(t, "local")
	future := vector(t, "register_future.bin")
	garbage := vector(t, "garbage.bin")
	counter := vector(t, "counter_us_east_100.bin")

	r := db.CRDTRegister("crdt:user:name")
	must(t, r.Set("local"))
	before, err := r.State()
	must(t, err)
	_, err = r.Merge(future)
	wantErr(t, err, grovekv.ErrClockDrift)
	var gerr *grovekv.Error
	if !errors.As(err, &gerr) || gerr.Kind != "ClockDrift" {
		t.Fatalf("error %#v", err)
	}
	after, err := r.State()
	must(t, err)
	if !reflect.DeepEqual(before, after) {
		t.Fatal("a refused future state changed the register")
	}
	empty := db.CRDTRegister("crdt:empty")
	_, err = empty.Merge(future)
	wantErr(t, err, grovekv.ErrClockDrift)
	if _, ok, _ := empty.GetJSON(); ok {
		t.Fatal("refused merge created a value")
	}
	if _, err := db.Get("crdt:empty"); !errors.Is(err, grovekv.ErrNotFound) {
		t.Fatalf("refused merge created the key: %v", err)
	}

	// With a drift allowance past 2100 the same state merges.
	d, err := db.MaxDrift()
	must(t, err)
	if d != time.Minute {
		t.Fatalf("default max drift %v", d)
	}
	wantErr(t, db.SetMaxDrift(-time.Second), grovekv.ErrInvalidArgument)
	must(t, db.SetMaxDrift(99*365*24*time.Hour))
	changed, err := r.Merge(future)
	must(t, err)
	var got string
	if ok, _ := r.Get(&got); !changed || !ok || got != "from the future" {
		t.Fatalf("merge with a large drift: %v %q", changed, got)
	}
	must(t, db.SetMaxDrift(time.Minute))

	c := db.CRDTCounter("crdt:views")
	changed, err = c.Merge(counter)
	must(t, err)
	if !changed || value(t, c) != 100 {
		t.Fatalf("counter vector: %v %d", changed, value(t, c))
	}
	_, err = empty.Merge(counter)
	wantErr(t, err, grovekv.ErrWrongType)
	_, err = db.CRDTSet("crdt:set").Merge(counter)
	wantErr(t, err, grovekv.ErrWrongType)
	_, err = db.CRDTMap("crdt:map").Merge(counter)
	wantErr(t, err, grovekv.ErrWrongType)

	_, err = c.Merge(garbage)
	wantErr(t, err, grovekv.ErrCorrupt)
	_, err = r.Merge(garbage)
	wantErr(t, err, grovekv.ErrCorrupt)
	_, err = db.ApplyChanges(garbage)
	wantErr(t, err, grovekv.ErrCorrupt)

	fresh := node(t, "fresh")
	rep, err := fresh.ApplyChanges(vector(t, "bundle_us_east.bin"))
	must(t, err)
	wantReport(t, rep, 2, 0, 0)
	if v := value(t, fresh.CRDTCounter("crdt:page:home:views")); v != 100 {
		t.Fatalf("bundle counter %d", v)
	}
	members, err := fresh.CRDTSet("crdt:tags:article:1").Members()
	must(t, err)
	if !reflect.DeepEqual(members, raws(`"go"`)) {
		t.Fatalf("bundle set %s", members)
	}
}

func TestCRDTAfterClose(t *testing.T) {
	db := node(t, "closing")
	other := node(t, "other")
	c, r, s, m := db.CRDTCounter("c"), db.CRDTRegister("r"), db.CRDTSet("s"), db.CRDTMap("m")
	must(t, db.Close())
	checks := map[string]error{}
	_, checks["counter.Increment"] = c.Increment(1)
	_, checks["counter.Value"] = c.Value()
	_, _, checks["counter.Totals"] = c.Totals()
	_, checks["counter.Contributions"] = c.Contributions()
	_, checks["counter.State"] = c.State()
	_, checks["counter.Merge"] = c.Merge([]byte("x"))
	checks["register.Set"] = r.Set(1)
	_, _, checks["register.GetJSON"] = r.GetJSON()
	_, checks["set.Members"] = s.Members()
	checks["set.Add"] = s.Add(1)
	_, checks["set.Len"] = s.Len()
	checks["map.Set"] = m.Set("f", 1)
	_, checks["map.Keys"] = m.Keys()
	_, checks["map.All"] = m.All()
	_, _, checks["ExportChanges"] = db.ExportChanges(0)
	_, checks["ApplyChanges"] = db.ApplyChanges([]byte("x"))
	_, checks["Sync"] = grovekv.Sync(db, other)
	_, checks["Sync reversed"] = grovekv.Sync(other, db)
	checks["SetMaxDrift"] = db.SetMaxDrift(time.Second)
	_, checks["new counter"] = db.CRDTCounter("c2").Value()
	_, _, checks["new register"] = db.CRDTRegister("r2").GetJSON()
	for name, err := range checks {
		if !errors.Is(err, grovekv.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

// 16 goroutines share one CRDT counter handle: no update is lost.
func TestCRDTCounter16Goroutines(t *testing.T) {
	dir := t.TempDir()
	db, err := grovekv.Open(dir, grovekv.WithNodeID("threads"))
	must(t, err)
	defer db.Close()
	c := db.CRDTCounter("crdt:hits")
	const goroutines = 16
	per := 400
	if testing.Short() {
		per = 48
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				var err error
				if i%4 == 3 {
					_, err = c.Add(-1)
				} else {
					_, err = c.Increment(2)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := int64(goroutines * (per / 4) * 5)
	if v := value(t, c); v != want {
		t.Fatalf("counter %d, want %d", v, want)
	}
	p, n, err := c.Totals()
	must(t, err)
	if p != uint64(goroutines*(per/4)*6) || n != uint64(goroutines*(per/4)) {
		t.Fatalf("totals %d/%d", p, n)
	}
}

const crdtPeerEnv = "GROVEKV_TEST_CRDT_PEER"

// crdtPeerMain is one replica in its own process. spec is "dir|node|amount|in|out": open dir
// as node, add amount to the CRDT counter crdt:views, apply the bundle file in (unless "-"),
// export everything to the file out and print the counter's value.
func crdtPeerMain(spec string) int {
	parts := strings.Split(spec, "|")
	if len(parts) != 5 {
		fmt.Println("error: bad spec", spec)
		return 2
	}
	amount, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		fmt.Println("error:", err)
		return 2
	}
	db, err := grovekv.Open(parts[0], grovekv.WithNodeID(parts[1]))
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	defer db.Close()
	c := db.CRDTCounter("crdt:views")
	if _, err := c.Add(amount); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	if parts[3] != "-" {
		in, err := os.ReadFile(parts[3])
		if err == nil {
			_, err = db.ApplyChanges(in)
		}
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
	}
	out, _, err := db.ExportChanges(0)
	if err == nil {
		err = os.WriteFile(parts[4], out, 0o644)
	}
	v, verr := c.Value()
	if err != nil || verr != nil {
		fmt.Println("error:", err, verr)
		return 1
	}
	fmt.Println("value", v)
	return 0
}

// Two processes, each with its own store, converge by exchanging bundles through files.
func TestCRDTTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	us, eu := filepath.Join(dir, "us"), filepath.Join(dir, "eu")
	fus, feu := filepath.Join(dir, "us.bin"), filepath.Join(dir, "eu.bin")
	peer := func(spec string) string {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crdtPeerEnv+"="+spec)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("peer %s: %v: %s", spec, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := peer(us + "|us-east-1|100|-|" + fus); got != "value 100" {
		t.Fatalf("us: %s", got)
	}
	if got := peer(eu + "|eu-west-1|250|" + fus + "|" + feu); got != "value 350" {
		t.Fatalf("eu: %s", got)
	}
	if got := peer(us + "|us-east-1|0|" + feu + "|" + fus); got != "value 350" {
		t.Fatalf("us again: %s", got)
	}
	observer := node(t, "observer")
	_, err := observer.ApplyChanges(fileBytes(t, fus))
	must(t, err)
	if v := value(t, observer.CRDTCounter("crdt:views")); v != 350 {
		t.Fatalf("observer %d", v)
	}
}

func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
