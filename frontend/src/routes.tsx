import { lazy } from 'react';
import { Navigate, type RouteObject } from 'react-router';
import { Layout } from './Layout';

// Each page is its own chunk, loaded on first visit.
const WebhookListPage = lazy(() => import('./pages/webhooks/WebhookListPage'));
const WebhookEditPage = lazy(() => import('./pages/webhooks/WebhookEditPage'));
const EndpointListPage = lazy(() => import('./pages/endpoints/EndpointListPage'));
const EndpointEditPage = lazy(() => import('./pages/endpoints/EndpointEditPage'));
const DeliveryLogPage = lazy(() => import('./pages/deliveries/DeliveryLogPage'));
const UserListPage = lazy(() => import('./pages/users/UserListPage'));
const UserEditPage = lazy(() => import('./pages/users/UserEditPage'));
const CustomFieldsPage = lazy(() => import('./pages/fields/CustomFieldsPage'));
const SecurityPage = lazy(() => import('./pages/security/SecurityPage'));
const NotFoundPage = lazy(() => import('./pages/NotFoundPage'));

export const routes: RouteObject[] = [
  {
    element: <Layout />,
    children: [
      { index: true, element: <Navigate to="/webhooks" replace /> },
      { path: 'webhooks', element: <WebhookListPage /> },
      { path: 'webhooks/new', element: <WebhookEditPage /> },
      { path: 'webhooks/:id', element: <WebhookEditPage /> },
      { path: 'endpoints', element: <EndpointListPage /> },
      { path: 'endpoints/new', element: <EndpointEditPage /> },
      { path: 'endpoints/:id', element: <EndpointEditPage /> },
      { path: 'deliveries', element: <DeliveryLogPage /> },
      { path: 'users', element: <UserListPage /> },
      { path: 'users/new', element: <UserEditPage /> },
      { path: 'users/:id', element: <UserEditPage /> },
      { path: 'fields', element: <CustomFieldsPage /> },
      { path: 'security', element: <SecurityPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
