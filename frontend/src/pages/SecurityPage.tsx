import { PageHeader } from '../components/states';

export default function SecurityPage() {
  return (
    <>
      <PageHeader title="Security" />
      <div className="notice info">
        Security settings (API tokens, roles and audit) arrive with the security release. The server has no API for them yet, so there is nothing to
        configure here.
      </div>
    </>
  );
}
