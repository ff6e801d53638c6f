// Package paged lists objects a page at a time, so that listing a run of
// 10,000 VMs never holds more than one page of them: status and cleanup
// count and classify each object as its page comes, and keep none.
package paged

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
)

// PageSize is the objects a page holds at most: a 10,000-VM run is 20
// pages, and a page of VMs as served is a few MB.
const PageSize = 500

// Each calls fn with every object ri lists with opts, a page at a time.
func Each(ctx context.Context, ri dynamic.ResourceInterface, opts metav1.ListOptions, fn func(*unstructured.Unstructured)) error {
	return pages(ctx, opts, ri.List, func(l *unstructured.UnstructuredList) {
		for i := range l.Items {
			fn(&l.Items[i])
		}
	})
}

// EachMetadata calls fn with the metadata of every object ri lists with
// opts, a page at a time.
func EachMetadata(ctx context.Context, ri metadata.ResourceInterface, opts metav1.ListOptions, fn func(*metav1.PartialObjectMetadata)) error {
	return pages(ctx, opts, ri.List, func(l *metav1.PartialObjectMetadataList) {
		for i := range l.Items {
			fn(&l.Items[i])
		}
	})
}

// pages lists page after page, following the server's continue token. The
// pages are one consistent snapshot; a token that expires (a listing
// slower than the server's compaction, five minutes by default) is an
// error, never a list that counts some objects twice.
func pages[L runtime.Object](ctx context.Context, opts metav1.ListOptions, list func(context.Context, metav1.ListOptions) (L, error), visit func(L)) error {
	opts.Limit = PageSize
	for {
		l, err := list(ctx, opts)
		if err != nil {
			return err
		}
		visit(l)
		acc, err := meta.ListAccessor(l)
		if err != nil {
			return fmt.Errorf("reading a page: %w", err)
		}
		if acc.GetContinue() == "" {
			return nil
		}
		opts.Continue = acc.GetContinue()
	}
}
