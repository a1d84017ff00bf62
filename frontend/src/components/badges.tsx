import type { DeliveryStatus } from '../gql/graphql';

const deliveryTone: Record<DeliveryStatus, string> = {
  PENDING: 'info',
  RETRYING: 'warn',
  SUCCEEDED: 'ok',
  FAILED: 'bad',
  CANCELLED: 'neutral',
};

const deliveryLabel: Record<DeliveryStatus, string> = {
  PENDING: 'Pending',
  RETRYING: 'Retrying',
  SUCCEEDED: 'Succeeded',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
};

export const deliveryStatuses: readonly DeliveryStatus[] = ['PENDING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

export function deliveryStatusLabel(status: DeliveryStatus): string {
  return deliveryLabel[status];
}

export function DeliveryStatusBadge({ status }: { status: DeliveryStatus }) {
  return <span className={`badge ${deliveryTone[status]}`}>{deliveryLabel[status]}</span>;
}

export function EnabledBadge({ enabled, onLabel = 'Enabled', offLabel = 'Disabled' }: { enabled: boolean; onLabel?: string; offLabel?: string }) {
  return <span className={`badge ${enabled ? 'ok' : 'neutral'}`}>{enabled ? onLabel : offLabel}</span>;
}

export function HttpStatusBadge({ status }: { status: number | null }) {
  if (status === null) return <span className="badge bad">No response</span>;
  const tone = status >= 200 && status < 300 ? 'ok' : status >= 500 || status === 429 || status === 408 ? 'warn' : 'bad';
  return <span className={`badge ${tone}`}>HTTP {status}</span>;
}
