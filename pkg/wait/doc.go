// Package wait follows a run's VirtualMachines until each has reached the
// target (ForReady: its workload active; ForRunning: booted), has failed
// for good, or time runs out. It opens one list+watch per kind for the
// whole run (VirtualMachineInstances, VirtualMachines and, when the run has
// data disks, DataVolumes), selected by the run-id label, through client-go
// informers, which resume after a watch drops. There is no per-VM polling;
// a failure is reported the moment it is seen, with its reason. A VM's
// State says what it is (Pending, Running, Ready, Failed) whatever the
// target; Reached says whether that is what the wait waited for.
package wait
