import { PageHeader } from '../../components/states';
import { ApiTokensSection } from './ApiTokensSection';
import { AuditSection } from './AuditSection';
import { CredentialsSection } from './CredentialsSection';
import { SettingsSection } from './SettingsSection';

export default function SecurityPage() {
  return (
    <>
      <PageHeader title="Security" description="Credentials of outgoing webhooks, API tokens, service settings and the audit log." />
      <div className="card">
        <CredentialsSection />
      </div>
      <div className="card">
        <ApiTokensSection />
      </div>
      <div className="card">
        <SettingsSection />
      </div>
      <div className="card">
        <AuditSection />
      </div>
    </>
  );
}
