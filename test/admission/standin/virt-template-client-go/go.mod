// Stand-in, see ../README.md: not the real kubevirt.io/virt-template-client-go.
module kubevirt.io/virt-template-client-go

go 1.26.0

require k8s.io/client-go v0.34.2
