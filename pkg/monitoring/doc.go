// Package monitoring writes, for a run, what a monitoring stack needs to be
// tested against the run's load shapes before any VM boots: example alert
// rules (a PrometheusRule built with prometheus-operator's types) that
// select only the run's VMs, with thresholds halfway between the expected
// values at each profile's highest and lowest level and a for: taken from
// the profile; and promtool rule unit tests whose input series are each
// VM's raw KubeVirt series (the series its workload's signals declare),
// synthesized from the same model verify checks a Prometheus against
// (verify.Model, from pkg/profile), and whose expected alerts follow from
// the rules: the examples, or the user's own rule file and a small file
// saying which level each alert should catch. It reads no files and no
// clock: the run, the window and the files' contents are its input.
package monitoring
