package render

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// userData renders a complete #cloud-config document: the workload's part
// plus SSH access when it was asked for. Keys come in a fixed order and
// file contents as literal blocks, so the result is stable and readable.
func userData(cc workloads.CloudConfig, s config.SSH) ([]byte, error) {
	doc := mapping()
	if len(cc.Packages) > 0 {
		add(doc, "packages", seq(cc.Packages))
	}
	if len(cc.WriteFiles) > 0 {
		files := &yaml.Node{Kind: yaml.SequenceNode}
		for _, f := range cc.WriteFiles {
			m := mapping()
			add(m, "path", str(f.Path))
			add(m, "permissions", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.Permissions, Style: yaml.SingleQuotedStyle})
			add(m, "owner", str("root:root"))
			add(m, "content", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.Content, Style: yaml.LiteralStyle})
			files.Content = append(files.Content, m)
		}
		add(doc, "write_files", files)
	}
	if len(cc.RunCmd) > 0 {
		cmds := &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range cc.RunCmd {
			n := seq(c)
			n.Style = yaml.FlowStyle
			cmds.Content = append(cmds.Content, n)
		}
		add(doc, "runcmd", cmds)
	}
	switch {
	case s.User != "":
		u := mapping()
		add(u, "name", str(s.User))
		add(u, "sudo", str("ALL=(ALL) NOPASSWD:ALL"))
		add(u, "shell", str("/bin/bash"))
		if s.PasswordHash != "" {
			add(u, "lock_passwd", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"})
			add(u, "passwd", str(s.PasswordHash))
		}
		if len(s.AuthorizedKeys) > 0 {
			add(u, "ssh_authorized_keys", seq(s.AuthorizedKeys))
		}
		// "default" keeps the image's own user alongside the new one.
		add(doc, "users", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{str("default"), u}})
		if s.PasswordHash != "" {
			add(doc, "ssh_pwauth", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
		}
	case len(s.AuthorizedKeys) > 0:
		// Without --ssh-user the keys go to the image's default user.
		add(doc, "ssh_authorized_keys", seq(s.AuthorizedKeys))
	}

	var buf bytes.Buffer
	buf.WriteString("#cloud-config\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding cloud-config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding cloud-config: %w", err)
	}
	return buf.Bytes(), nil
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

func add(m *yaml.Node, k string, v *yaml.Node) {
	m.Content = append(m.Content, str(k), v)
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func seq(ss []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, s := range ss {
		n.Content = append(n.Content, str(s))
	}
	return n
}
