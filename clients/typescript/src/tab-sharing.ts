import type { TokenLocks, TokenNews, TokenStore } from './tokens.js';

/** What a store shared by tabs adds to its storage: turns and announcements. */
export type TabSharing = Required<Pick<TokenStore, 'exclusive' | 'announce' | 'subscribe'>>;

/**
 * Turns under the Web Lock `name` (or `locks`, where given), and announcements on the
 * BroadcastChannel `name`: the stores of other logins (another name) neither wait for nor hear
 * this one. Without Web Locks (insecure origins, old browsers) a task runs at once, and the
 * session's own single-flight is all there is; without BroadcastChannel only the sessions
 * sharing the same store object hear each other.
 */
export function tabSharing(name: string, locks?: TokenLocks): TabSharing {
  const news = newsChannel(name);
  return {
    exclusive: (task) => {
      const manager = locks ?? webLocks();
      return manager === null ? task() : manager.request(name, task);
    },
    announce: news.announce,
    subscribe: news.subscribe,
  };
}

/** The browser's Web Locks API, where there is one (secure contexts of current browsers). */
function webLocks(): TokenLocks | null {
  const manager = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (manager === undefined) {
    return null;
  }
  return {
    request: <T>(name: string, task: () => Promise<T>) =>
      manager.request(name, () => task()) as Promise<T>,
  };
}

/**
 * Announcements to the other sessions of a store: those in other tabs through a
 * BroadcastChannel (opened on first use, where there is one), those sharing the same store
 * object directly, since a channel does not hear its own messages.
 */
function newsChannel(name: string) {
  const listeners = new Set<(news: TokenNews) => void>();
  const hear = (news: TokenNews) => {
    for (const listener of [...listeners]) {
      listener(news);
    }
  };
  let channel: BroadcastChannel | null | undefined;
  const open = (): BroadcastChannel | null => {
    if (channel === undefined) {
      channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : null;
      if (channel !== null) {
        // Anything on the origin may post here: only well-formed news is passed on.
        channel.onmessage = (event: MessageEvent<unknown>) => {
          if (isNews(event.data)) {
            hear({ refreshToken: event.data.refreshToken, accessToken: event.data.accessToken });
          }
        };
        // Node: an open channel would keep the process alive.
        (channel as { unref?: () => void }).unref?.();
      }
    }
    return channel;
  };
  return {
    announce: (news: TokenNews) => {
      open()?.postMessage(news);
      hear(news);
    },
    subscribe: (listener: (news: TokenNews) => void) => {
      open();
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

function isNews(data: unknown): data is TokenNews {
  if (typeof data !== 'object' || data === null) {
    return false;
  }
  const { refreshToken, accessToken } = data as Record<string, unknown>;
  return (
    (refreshToken === null || typeof refreshToken === 'string') &&
    (accessToken === undefined || typeof accessToken === 'string')
  );
}
