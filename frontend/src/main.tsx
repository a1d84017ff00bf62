import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter } from 'react-router';
import { RouterProvider } from 'react-router/dom';
import { ApiProvider } from './api/ApiProvider';
import { completeSignIn } from './api/oidc';
import { routes } from './routes';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');

// Back from the identity provider (/oidc-callback): finish the sign-in first.
void completeSignIn().finally(() => {
  // Created after the callback has put the address back, so it starts there.
  const router = createBrowserRouter(routes);
  createRoot(root).render(
    <StrictMode>
      <ApiProvider>
        <RouterProvider router={router} />
      </ApiProvider>
    </StrictMode>,
  );
});
