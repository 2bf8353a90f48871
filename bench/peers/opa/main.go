// The OPA peer of `npm run bench -- peers`: reads the benchmark corpus (every set's Rego module,
// inputs and the decisions Palisade gave), prepares each query once with OPA's Go SDK, checks
// that OPA decides every input as Palisade did, then times Eval on pre-parsed inputs (the
// fastest way to call OPA from Go) and prints the figures as JSON on stdout.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

type expected struct {
	Decision string   `json:"decision"`
	Reasons  []string `json:"reasons"`
	Warnings []string `json:"warnings"`
}

type set struct {
	Name     string        `json:"name"`
	Rego     string        `json:"rego"`
	Query    string        `json:"query"`
	Inputs   []interface{} `json:"inputs"`
	Expected []expected    `json:"expected"`
}

type corpus struct {
	Sets   []set `json:"sets"`
	Timing struct {
		Batches  int `json:"batches"`
		BatchMs  int `json:"batchMs"`
		WarmupMs int `json:"warmupMs"`
	} `json:"timing"`
}

type figure struct {
	Ns       float64 `json:"ns"`
	MinNs    float64 `json:"minNs"`
	MaxNs    float64 `json:"maxNs"`
	MemBytes uint64  `json:"memBytes"`
	Checked  int     `json:"checked"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "opa peer: "+format+"\n", args...)
	os.Exit(1)
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func strs(v interface{}) []string {
	out := []string{}
	if xs, ok := v.([]interface{}); ok {
		for _, x := range xs {
			out = append(out, fmt.Sprint(x))
		}
	}
	sort.Strings(out)
	return out
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: opa-peer CORPUS.json")
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	var c corpus
	if err := json.Unmarshal(raw, &c); err != nil {
		fail("corpus: %v", err)
	}
	ctx := context.Background()
	out := map[string]figure{}
	for _, s := range c.Sets {
		before := heap()
		pq, err := rego.New(rego.Query(s.Query), rego.Module(s.Name+".rego", s.Rego)).PrepareForEval(ctx)
		if err != nil {
			fail("%s: %v", s.Name, err)
		}
		mem := heap() - before
		inputs := make([]ast.Value, len(s.Inputs))
		for i, in := range s.Inputs {
			v, err := ast.InterfaceToValue(in)
			if err != nil {
				fail("%s: input %d: %v", s.Name, i, err)
			}
			inputs[i] = v
		}
		// Every input decided as Palisade decided it, before any timing counts.
		for i, in := range inputs {
			rs, err := pq.Eval(ctx, rego.EvalParsedInput(in))
			if err != nil || len(rs) != 1 || len(rs[0].Expressions) != 1 {
				fail("%s: input %d: no result (%v)", s.Name, i, err)
			}
			r, _ := rs[0].Expressions[0].Value.(map[string]interface{})
			got := expected{Decision: fmt.Sprint(r["decision"]), Reasons: strs(r["reasons"]), Warnings: strs(r["warnings"])}
			want := s.Expected[i]
			sort.Strings(want.Reasons)
			sort.Strings(want.Warnings)
			if !reflect.DeepEqual(got, want) {
				fail("%s: input %d: OPA decided %+v, Palisade %+v", s.Name, i, got, want)
			}
		}
		n := len(inputs)
		warmEnd := time.Now().Add(time.Duration(c.Timing.WarmupMs) * time.Millisecond)
		calls := 0
		for time.Now().Before(warmEnd) {
			for i := 0; i < n; i++ {
				pq.Eval(ctx, rego.EvalParsedInput(inputs[i]))
				calls++
			}
		}
		perBatch := calls * c.Timing.BatchMs / c.Timing.WarmupMs
		if perBatch < n {
			perBatch = n
		}
		samples := make([]float64, 0, c.Timing.Batches)
		for b := 0; b < c.Timing.Batches; b++ {
			t0 := time.Now()
			for i := 0; i < perBatch; i++ {
				if _, err := pq.Eval(ctx, rego.EvalParsedInput(inputs[i%n])); err != nil {
					fail("%s: %v", s.Name, err)
				}
			}
			samples = append(samples, float64(time.Since(t0).Nanoseconds())/float64(perBatch))
		}
		sort.Float64s(samples)
		out[s.Name] = figure{Ns: samples[len(samples)/2], MinNs: samples[0], MaxNs: samples[len(samples)-1], MemBytes: mem, Checked: n}
		runtime.KeepAlive(pq)
	}
	version := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "github.com/open-policy-agent/opa" {
				version = d.Version
			}
		}
	}
	json.NewEncoder(os.Stdout).Encode(map[string]interface{}{"peer": "opa-go", "version": version, "go": runtime.Version(), "sets": out})
}
