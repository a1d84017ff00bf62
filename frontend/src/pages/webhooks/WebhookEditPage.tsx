import { Link, useParams } from 'react-router';
import { useQuery } from 'urql';
import { ErrorState, Loading, PageHeader } from '../../components/states';
import { WebhookDocument } from '../../gql/graphql';
import { nodesOf } from '../../lib/relay';
import { WebhookEditor } from './WebhookEditor';

export default function WebhookEditPage() {
  const { id } = useParams();
  if (id === undefined) return <WebhookEditor key="new" webhook={null} />;
  return <ExistingWebhook id={id} />;
}

function ExistingWebhook({ id }: { id: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: WebhookDocument, variables: { id } });
  if (error && !data) return <ErrorState error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (fetching && !data) return <Loading what="Loading webhook" />;
  const [node] = nodesOf(data?.profileWebhooks);
  if (!node) {
    return (
      <>
        <PageHeader title="Webhook not found" />
        <p>
          There is no profile webhook with ID <code>{id}</code>. <Link to="/webhooks">Back to the webhooks</Link>.
        </p>
      </>
    );
  }
  return <WebhookEditor key={node.id} webhook={node} />;
}
