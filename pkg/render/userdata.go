package render

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// userDataEncoder renders #cloud-config documents. Each write_files entry
// is encoded once and reused: a large run has thousands of documents that
// differ only in a small EnvironmentFile, and YAML encoding is most of the
// cost of rendering them.
type userDataEncoder struct {
	mu       sync.Mutex // bundles may be encoded from several goroutines
	files    map[workloads.File][]byte
	sections map[string][]byte
}

func newUserDataEncoder() *userDataEncoder {
	return &userDataEncoder{files: map[workloads.File][]byte{}, sections: map[string][]byte{}}
}

// list writes the section key: [items...], encoding each distinct one once.
func (u *userDataEncoder) list(buf *bytes.Buffer, key string, items []string, flowItems bool) error {
	cacheKey := key + "\x00" + strings.Join(items, "\x00")
	if flowItems {
		cacheKey = "flow\x00" + cacheKey
	}
	if b, ok := u.sections[cacheKey]; ok {
		buf.Write(b)
		return nil
	}
	var n *yaml.Node
	if flowItems {
		// Each item is a command line, its words separated by \x01.
		n = &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range items {
			cmd := seq(strings.Split(c, "\x01"))
			cmd.Style = yaml.FlowStyle
			n.Content = append(n.Content, cmd)
		}
	} else {
		n = seq(items)
	}
	var sb bytes.Buffer
	if err := encodeSection(&sb, key, n); err != nil {
		return err
	}
	u.sections[cacheKey] = sb.Bytes()
	buf.Write(sb.Bytes())
	return nil
}

// encode renders the workload's part plus SSH access when it was asked
// for. Keys come in a fixed order and file contents as literal blocks, so
// the result is stable and readable. The document is built from top-level
// sections and write_files items encoded separately; each is a valid piece
// of one top-level mapping, so their concatenation is the same document
// that encoding it whole would give.
func (u *userDataEncoder) encode(cc workloads.CloudConfig, s config.SSH) ([]byte, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	var buf bytes.Buffer
	buf.WriteString("#cloud-config\n")
	if len(cc.Packages) > 0 {
		if err := u.list(&buf, "packages", cc.Packages, false); err != nil {
			return nil, err
		}
	}
	if len(cc.WriteFiles) > 0 {
		buf.WriteString("write_files:\n")
		for _, f := range cc.WriteFiles {
			item, ok := u.files[f]
			if !ok {
				var ib bytes.Buffer
				if err := encodeSection(&ib, "write_files", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{fileNode(f)}}); err != nil {
					return nil, err
				}
				item = bytes.TrimPrefix(ib.Bytes(), []byte("write_files:\n"))
				u.files[f] = item
			}
			buf.Write(item)
		}
	}
	if len(cc.RunCmd) > 0 {
		cmds := make([]string, len(cc.RunCmd))
		for i, c := range cc.RunCmd {
			cmds[i] = strings.Join(c, "\x01")
		}
		if err := u.list(&buf, "runcmd", cmds, true); err != nil {
			return nil, err
		}
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
		if err := encodeSection(&buf, "users", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{str("default"), u}}); err != nil {
			return nil, err
		}
		if s.PasswordHash != "" {
			if err := encodeSection(&buf, "ssh_pwauth", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"}); err != nil {
				return nil, err
			}
		}
	case len(s.AuthorizedKeys) > 0:
		// Without --ssh-user the keys go to the image's default user.
		if err := encodeSection(&buf, "ssh_authorized_keys", seq(s.AuthorizedKeys)); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

func fileNode(f workloads.File) *yaml.Node {
	m := mapping()
	add(m, "path", str(f.Path))
	add(m, "permissions", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.Permissions, Style: yaml.SingleQuotedStyle})
	add(m, "owner", str("root:root"))
	add(m, "content", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.Content, Style: yaml.LiteralStyle})
	return m
}

// encodeSection writes the one-key mapping {key: v}.
func encodeSection(w *bytes.Buffer, key string, v *yaml.Node) error {
	doc := mapping()
	add(doc, key, v)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encoding cloud-config %s: %w", key, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encoding cloud-config %s: %w", key, err)
	}
	return nil
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

// secretPlan is one user-data Secret. Its data is rebuilt when the Secret
// is read (cheaply: file entries are encoded once per bundle), so the
// bundle never holds thousands of user-data documents at once.
type secretPlan struct {
	name, namespace string
	labels          map[string]any
	workload        workloads.Workload
	instance        workloads.Instance
}

// checkUserData builds a Secret's user-data once, to report errors and
// oversize user-data before anything is written.
func (b *Bundle) checkUserData(w workloads.Workload, inst workloads.Instance) error {
	name := w.Spec().Name
	data, err := b.userDataOf(w, inst)
	if err != nil {
		return fmt.Errorf("workload %s: %w", name, err)
	}
	if n := len(data) + len(userDataKey); n > maxSecretSize {
		return fmt.Errorf("workload %s: cloud-init user-data for role %s is %d bytes, over the %d-byte Secret limit; use fewer SSH keys or smaller files", name, inst.Role, n, maxSecretSize)
	}
	return nil
}

func (b *Bundle) userDataOf(w workloads.Workload, inst workloads.Instance) ([]byte, error) {
	cc, err := workloads.CloudConfigFor(w, inst)
	if err != nil {
		return nil, err
	}
	return b.userData.encode(cc, b.ssh)
}

// secret builds a Secret; Render already built its data once without error.
func (b *Bundle) secret(p secretPlan) map[string]any {
	data, err := b.userDataOf(p.workload, p.instance)
	if err != nil {
		panic(fmt.Sprintf("render: user-data of %s failed after succeeding in Render: %v", p.name, err))
	}
	s := object("v1", "Secret", p.namespace, p.name, p.labels)
	s["type"] = "Opaque"
	s["data"] = map[string]any{userDataKey: base64.StdEncoding.EncodeToString(data)}
	return s
}
