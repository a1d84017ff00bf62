package bench

import (
	"os"
	"runtime"
	"runtime/debug"
)

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// The benchmarks run the server in this process, so they use the binary's
// GC setting (cmd/profilehooks: GOGC=400 unless GOGC is set).
func init() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}
