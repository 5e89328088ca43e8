package chart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// maxDownload caps an index or chart download, so a broken server cannot exhaust memory.
const maxDownload = 512 << 20

// repoCacheDir is the cache directory of the chart repository at repoURL.
func repoCacheDir(cacheDir, repoURL string) string {
	return filepath.Join(cacheDir, "repositories", dirKey(cacheKeyURL(repoURL)))
}

// cacheKeyURL is repoURL without credentials, so that a changed password keeps the cache.
func cacheKeyURL(repoURL string) string {
	u, err := url.Parse(repoURL)
	if err != nil {
		return repoURL
	}
	u.User = nil
	return u.String()
}

// index returns the index of a chart repository: fetched at most once per Loader and saved to
// the cache, or read from the cache in offline mode.
func (l *Loader) index(ctx context.Context, r reference, dir string) (*repo.IndexFile, error) {
	return l.indexes.do(ctx, r.repoURL, func() (*repo.IndexFile, error) {
		path := filepath.Join(dir, "index.yaml")
		if l.offline {
			idx, err := repo.LoadIndexFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, &NotCachedError{What: fmt.Sprintf("the index of repository %s (%s)", r.repoName, redactURL(r.repoURL)), CacheDir: l.cacheDir}
			}
			if err != nil {
				return nil, fmt.Errorf("read the cached index of repository %s (delete %s and run online): %w", r.repoName, path, err)
			}
			return idx, nil
		}
		return l.fetchIndex(ctx, r, path)
	})
}

// fetchIndex downloads index.yaml, checks that it parses, and only then replaces the cached copy.
func (l *Loader) fetchIndex(ctx context.Context, r reference, path string) (*repo.IndexFile, error) {
	u, err := repo.ResolveReferenceURL(r.repoURL, "index.yaml")
	if err != nil {
		return nil, fmt.Errorf("repository %s has an invalid URL (fix it in kaji.yaml): %w", r.repoName, err)
	}
	l.log.Debug("fetching repository index", "repository", r.repoName, "url", redactURL(u))
	data, err := l.get(ctx, u, maxDownload)
	if err != nil {
		return nil, err
	}
	tmp, err := writeTemp(path, data)
	if err != nil {
		return nil, err
	}
	idx, err := repo.LoadIndexFile(tmp)
	if err != nil {
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("repository %s serves an invalid index at %s (check the repository URL): %w",
			r.repoName, redactURL(u), err)
	}
	if err := commitTemp(tmp, path); err != nil {
		return nil, err
	}
	return idx, nil
}

// get downloads u, refusing more than limit bytes. Failures are *FetchError values that name
// the URL.
func (l *Loader) get(ctx context.Context, u string, limit int64) ([]byte, error) {
	shown := redactURL(u)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &FetchError{URL: shown, Err: err}
	}
	resp, err := l.http.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &FetchError{URL: shown, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &FetchError{URL: shown, StatusCode: resp.StatusCode}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &FetchError{URL: shown, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &FetchError{URL: shown, Err: fmt.Errorf("larger than %d MiB", limit>>20)}
	}
	return data, nil
}
