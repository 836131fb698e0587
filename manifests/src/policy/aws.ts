/** AWS: services with a DynamoDB table get credentials through IRSA in every environment and PR canary. */
import { ofKind, ref } from '../objects';
import { tableServices } from '../services';
import { type Check, renders, violation } from './common';

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * Every render of a service with a table (the registry's `table`) fills the IRSA slot of its
 * ServiceAccount with a role ARN (EKS Pod Identity is not an option for PR canaries: its agent at
 * 169.254.170.23:80 is outside their egress policy, and it needs an association per namespace). The
 * service runs as that ServiceAccount.
 */
export const storeAwsIdentity: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ where, objects }) =>
    tableServices().flatMap(({ name }) => {
      const deployments = ofKind(objects, 'Deployment').filter((d) => d.metadata.name === name);
      if (deployments.length === 0) return [];
      const accounts = ofKind(objects, 'ServiceAccount').filter((s) => s.metadata.name === name);
      if (accounts.length === 0) return [violation(where, `no ServiceAccount ${name} for the IRSA role`)];
      return [
        ...accounts
          .filter((sa) => !ROLE_ARN.test(sa.metadata.annotations?.['eks.amazonaws.com/role-arn'] ?? ''))
          .map((sa) =>
            violation(
              ref(sa),
              'no eks.amazonaws.com/role-arn with an IAM role ARN (the store gets no AWS credentials)',
            ),
          ),
        ...deployments
          .filter((d) => d.spec.template.spec.serviceAccountName !== name)
          .map((d) => violation(ref(d), `does not run as ServiceAccount ${name} (its IRSA role)`)),
      ];
    }),
  );
