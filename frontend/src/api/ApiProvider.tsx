import { createContext, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react';
import { Provider } from 'urql';
import { createApiClient, type SocketState } from './client';
import { getCredential, getToken, subscribeToken } from './token';

const SocketStateContext = createContext<SocketState>('closed');

/** State of the subscriptions' websocket: connecting, connected or closed. */
export function useSocketState(): SocketState {
  return useContext(SocketStateContext);
}

export function useApiToken(): string {
  return useSyncExternalStore(subscribeToken, getToken);
}

/** The credential sent with requests: the sign-in's ID token or the API token; empty for none. */
export function useCredential(): string {
  return useSyncExternalStore(subscribeToken, getCredential);
}

/** Provides a GraphQL client; a new one (and websocket) whenever the credential changes. */
export function ApiProvider({ children }: { children: ReactNode }) {
  const token = useCredential();
  const [socketState, setSocketState] = useState<SocketState>('closed');
  const api = useMemo(() => createApiClient(token, setSocketState), [token]);
  useEffect(() => () => api.dispose(), [api]);

  return (
    <Provider value={api.client}>
      <SocketStateContext.Provider value={socketState}>{children}</SocketStateContext.Provider>
    </Provider>
  );
}
