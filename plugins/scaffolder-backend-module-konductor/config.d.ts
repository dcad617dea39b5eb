/** Configuration of Konductor's scaffolder actions. */
export interface Config {
  konductor?: {
    aws?: {
      /**
       * Endpoint of every AWS client: the sandbox's URL in the embedded setup. Leave unset to
       * reach real AWS; credentials per account come from the `aws` section
       * (`@backstage/integration-aws-node`).
       */
      endpoint?: string;
      /** Seconds between status polls of long operations (default 10). */
      pollIntervalSeconds?: number;
      /** IAM role name EKS clusters run as (default konductor-eks-cluster). */
      clusterRoleName?: string;
      /** IAM role name EKS nodes run as (default konductor-eks-node). */
      nodeRoleName?: string;
      /**
       * Name of the Lambda function, deployed in every account and region stacks go to, that
       * rotates generated secrets (for example one made from AWS's SecretsManagerRotationTemplate).
       * Unset: a stack that asks for their rotation (secrets.rotationDays) is refused. Database
       * passwords need none: RDS rotates them.
       */
      rotationFunctionName?: string;
      /**
       * Where a cluster's public endpoint (resources.cluster.publicEndpoint: true) takes calls
       * from: the portal's egress addresses, so its Kubernetes tab reaches the cluster and the
       * internet does not. Default: anywhere (0.0.0.0/0), EKS's default.
       */
      clusterPublicAccessCidrs?: string[];
    };
    provisioning?: {
      /** The drift scan: every stack's resources compared with its desired state. */
      drift?: {
        /** Minutes between sweeps of every stack (default 60); one replica sweeps at a time. */
        intervalMinutes?: number;
      };
    };
    compliance?: {
      /**
       * The lowest compliance level a stack may be checked at, per environment: the stack and
       * compliance actions refuse a lower one. Default: prod at moderate.
       * @visibility frontend
       */
      minimumLevels?: {
        /** @visibility frontend */
        dev?: 'low' | 'moderate' | 'high';
        /** @visibility frontend */
        staging?: 'low' | 'moderate' | 'high';
        /** @visibility frontend */
        prod?: 'low' | 'moderate' | 'high';
      };
    };
    apps?: {
      /** DNS domain under which provisioned apps get their host name (default apps.konductor.local). */
      domain?: string;
      /**
       * Seconds an app's pods may fail to pull their image (ImagePullBackOff) before its run
       * fails, for a CI still pushing it (default 120).
       */
      imagePullGraceSeconds?: number;
      /**
       * Deliver apps through git and the platform's Argo CD instead of through each cluster's
       * API (which a private endpoint does not answer from the portal). Apps with secretEnv are
       * refused in this mode until the cluster-side secret delivery is built.
       */
      gitops?: {
        /** The GitOps repository: github.com?owner=acme&repo=deployments (a GitHub integration's host). */
        repoUrl: string;
        /** The branch Argo CD follows (default main). */
        branch?: string;
        /**
         * The IAM role apps' pods read their secrets as, through EKS Pod Identity and the Secrets
         * Store CSI driver (required for apps with secretEnv): the role of this name in each stack's
         * account (Pod Identity takes roles of the cluster's account), trusted by
         * pods.eks.amazonaws.com (sts:AssumeRole and sts:TagSession), allowed
         * secretsmanager:GetSecretValue and DescribeSecret on the stacks' secrets: those whose
         * konductor:stack tag is the session's eks-cluster-name tag (a stack's cluster is named
         * after it), and the master user secrets RDS keeps (rds!db-*).
         */
        secretsRoleName?: string;
        /** The platform's Argo CD: an EKS Argo CD capability on the platform's hub cluster. */
        argocd: {
          accountId: string;
          region: string;
          clusterName: string;
          capabilityName: string;
          /**
           * The Argo CD account token the portal uses (generated in the capability's Argo CD).
           * @visibility secret
           */
          token: string;
        };
      };
    };
    /** The Jira site manual fulfilment opens tickets in. */
    jira?: {
      /** Base URL of the site, for example https://acme.atlassian.net. */
      baseUrl: string;
      /** Account e-mail for basic auth with an API token; omit to send the token as a bearer token. */
      email?: string;
      /**
       * API token.
       * @visibility secret
       */
      token: string;
      /**
       * Seconds between the sweeps that resume tasks whose ticket is done (a task that waits for
       * a ticket has ended, holding no worker); default 30.
       */
      intervalSeconds?: number;
    };
  };
}
