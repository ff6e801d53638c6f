// Stand-in, see ../README.md: not the real kubevirt.io/virt-template-api.
module kubevirt.io/virt-template-api

go 1.26.0

require k8s.io/apimachinery v0.34.2
