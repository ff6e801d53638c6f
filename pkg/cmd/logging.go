package cmd

import (
	"flag"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

// addVerbosityFlag adds kubectl's -v: the API client's log level (klog). At
// 0, the default, client-go's own log lines are dropped, so that stderr
// holds only what virtwork says (one line for an error); 6 shows each
// request, 8 adds bodies. Logs go to w.
func addVerbosityFlag(root *cobra.Command, w io.Writer) {
	var level int
	root.PersistentFlags().IntVarP(&level, "v", "v", 0, "log level of the API client: 6 shows every request, 8 their bodies")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		fs := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(fs)
		for k, v := range map[string]string{"v": strconv.Itoa(level), "logtostderr": "false", "alsologtostderr": "false", "stderrthreshold": "FATAL"} {
			if err := fs.Set(k, v); err != nil {
				return err
			}
		}
		if level <= 0 {
			w = io.Discard
		}
		klog.SetOutput(w)
		return nil
	}
}
