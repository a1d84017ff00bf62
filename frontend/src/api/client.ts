import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';
import { createClient as createSocket, type Client as SocketClient } from 'graphql-ws';
import { authorization } from './token';

export type SocketState = 'connecting' | 'connected' | 'closed';

export interface ApiClient {
  readonly client: Client;
  /** Closes the websocket, if one is open; a later subscription opens a new one. */
  dispose(): void;
}

/** The websocket URL of the same-origin GraphQL endpoint: ws(s)://<host>/graphql. */
export function socketUrl(location: Pick<Location, 'href'>): string {
  const url = new URL('/graphql', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/**
 * A client for the same-origin /graphql: queries and mutations over HTTP
 * POST, subscriptions over graphql-ws (subprotocol graphql-transport-ws).
 * The token goes in the Authorization header and in the connection_init
 * payload as {"Authorization": "Bearer …"}.
 */
export function createApiClient(token: string, onSocketState: (state: SocketState) => void): ApiClient {
  const auth = authorization(token);
  const headers: Record<string, string> = auth ? { Authorization: auth } : {};
  let socket: { client: SocketClient; close(): void } | null = null;

  function openSocket() {
    let live = true;
    const report = (state: SocketState) => {
      if (live) onSocketState(state);
    };
    const client = createSocket({
      url: socketUrl(window.location),
      lazy: true,
      lazyCloseTimeout: 3000,
      retryAttempts: Infinity,
      connectionParams: auth ? { Authorization: auth } : {},
      on: {
        connecting: () => report('connecting'),
        connected: () => report('connected'),
        closed: () => report('closed'),
      },
    });
    return {
      client,
      close() {
        report('closed');
        live = false;
        void client.dispose();
      },
    };
  }

  const client = new Client({
    url: '/graphql',
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers }),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              socket ??= openSocket();
              const unsubscribe = socket.client.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  return {
    client,
    dispose() {
      socket?.close();
      socket = null;
    },
  };
}
