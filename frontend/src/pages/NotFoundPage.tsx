import { Link } from 'react-router';
import { PageHeader } from '../components/states';

export default function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is no page at this address. <Link to="/webhooks">Go to the profile webhooks</Link>.
      </p>
    </>
  );
}
