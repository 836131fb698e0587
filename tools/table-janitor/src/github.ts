/** The one question the janitor asks GitHub: which pull requests are open. */

export interface PullRequests {
  /** Numbers of the repository's open pull requests (all pages). */
  openNumbers(): Promise<Set<number>>;
}

export class GitHubError extends Error {
  override name = 'GitHubError';
}

const OWNER_OR_REPO = /^[A-Za-z0-9_.-]{1,100}$/;

/** GitHub's REST API (`GET /repos/{owner}/{repo}/pulls?state=open`), paginated, over fetch. */
export function gitHubPullRequests(options: {
  owner: string;
  repo: string;
  token?: string;
  /** https://api.github.com, or GitHub Enterprise's API root. */
  apiUrl?: string;
  fetch?: typeof fetch;
}): PullRequests {
  const { owner, repo, token } = options;
  if (!OWNER_OR_REPO.test(owner) || !OWNER_OR_REPO.test(repo))
    throw new GitHubError('owner and repo must be GitHub names');
  const api = new URL(options.apiUrl ?? 'https://api.github.com');
  const doFetch = options.fetch ?? fetch;
  return {
    async openNumbers() {
      const open = new Set<number>();
      for (let page = 1; page <= 100; page++) {
        const url = new URL(`repos/${owner}/${repo}/pulls`, api.href.endsWith('/') ? api : `${api.href}/`);
        url.search = new URLSearchParams({ state: 'open', per_page: '100', page: String(page) }).toString();
        const response = await doFetch(url, {
          headers: {
            accept: 'application/vnd.github+json',
            'x-github-api-version': '2022-11-28',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          signal: AbortSignal.timeout(15_000),
        });
        if (!response.ok)
          throw new GitHubError(`GitHub answered ${response.status} listing open pull requests`);
        const body: unknown = await response.json();
        if (!Array.isArray(body))
          throw new GitHubError('GitHub answered something that is not a list of pull requests');
        for (const pull of body) {
          const number = (pull as { number?: unknown }).number;
          if (typeof number !== 'number' || !Number.isInteger(number) || number < 1)
            throw new GitHubError('GitHub listed a pull request without a valid number');
          open.add(number);
        }
        if (body.length < 100) return open;
      }
      throw new GitHubError('more than 10000 open pull requests: refusing to guess');
    },
  };
}
