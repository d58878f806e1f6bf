/** Rows the demo imports when `--rows` is not given. */
export const DEFAULT_DEMO_ROWS = 100_000;

/**
 * What the demo org spends on: the providers, services and apps of a mid-size company, with a
 * typical daily cost per row. Shares are of the rows, so the categories all have volume.
 */
export interface DemoService {
  name: string;
  /** FOCUS ServiceCategory as the provider reports it. */
  category: string;
  unit: string;
  /**
   * List price of one unit in USD (public list prices, rounded): a row's ConsumedQuantity is its
   * cost at this price, so quantities read like a real bill (a token costs millionths of a dollar,
   * a seat a fraction of its monthly price per day). Seats and hosts come in whole units.
   */
  unitPrice: number;
  /** Mean BilledCost of one row, in USD. */
  meanCost: number;
  /** GenAI model id (x_genai_model). */
  model?: string;
}

export interface DemoProvider {
  /** x_source_system: the cost reads classify rows by it (cloud_*, genai_*, subscription_*). */
  source: string;
  serviceProvider: string;
  hostProvider: string;
  invoiceIssuer: string;
  /** x_cloud_provider or x_genai_provider. */
  cloud?: string;
  genai?: string;
  billingAccount: string;
  regions: string[];
  rowShare: number;
  services: DemoService[];
}

const svc = (
  name: string,
  category: string,
  unit: string,
  unitPrice: number,
  meanCost: number,
  model?: string,
): DemoService => ({
  name,
  category,
  unit,
  unitPrice,
  meanCost,
  model,
});

export const DEMO_PROVIDERS: readonly DemoProvider[] = [
  {
    source: 'cloud_aws_billing',
    serviceProvider: 'AWS',
    hostProvider: 'AWS',
    invoiceIssuer: 'Amazon Web Services, Inc.',
    cloud: 'aws',
    billingAccount: '123456789012',
    regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
    rowShare: 0.3,
    services: [
      svc('Amazon EC2', 'Compute', 'Hours', 0.096, 42),
      svc('Amazon S3', 'Storage', 'GB-Mo', 0.023, 12),
      svc('Amazon RDS', 'Databases', 'Hours', 0.171, 35),
      svc('AWS Lambda', 'Compute', 'Requests', 0.0000021, 4),
      svc('Amazon CloudFront', 'Networking', 'GB', 0.085, 9),
    ],
  },
  {
    source: 'cloud_gcp_billing',
    serviceProvider: 'Google Cloud',
    hostProvider: 'Google Cloud',
    invoiceIssuer: 'Google LLC',
    cloud: 'gcp',
    billingAccount: '01A2B3-C4D5E6-F7G8H9',
    regions: ['us-central1', 'europe-west1'],
    rowShare: 0.2,
    services: [
      svc('Compute Engine', 'Compute', 'Hours', 0.097, 38),
      svc('BigQuery', 'Analytics', 'TiB', 6.25, 25),
      svc('Cloud Storage', 'Storage', 'GiB-Mo', 0.02, 10),
      svc('Google Kubernetes Engine', 'Compute', 'Hours', 0.1, 30),
    ],
  },
  {
    source: 'cloud_azure_billing',
    serviceProvider: 'Microsoft Azure',
    hostProvider: 'Microsoft Azure',
    invoiceIssuer: 'Microsoft Corporation',
    cloud: 'azure',
    billingAccount: 'azure-ea-0001',
    regions: ['eastus', 'westeurope'],
    rowShare: 0.15,
    services: [
      svc('Virtual Machines', 'Compute', 'Hours', 0.096, 40),
      svc('Azure SQL Database', 'Databases', 'Hours', 0.505, 28),
      svc('Azure Blob Storage', 'Storage', 'GB-Mo', 0.018, 8),
    ],
  },
  {
    source: 'cloud_oci_billing',
    serviceProvider: 'Oracle Cloud Infrastructure',
    hostProvider: 'Oracle Cloud Infrastructure',
    invoiceIssuer: 'Oracle America, Inc.',
    cloud: 'oci',
    billingAccount: 'ocid1.tenancy.oc1..demo',
    regions: ['us-ashburn-1'],
    rowShare: 0.05,
    services: [
      svc('Compute', 'Compute', 'OCPU Hours', 0.025, 20),
      svc('Autonomous Database', 'Databases', 'OCPU Hours', 0.336, 30),
    ],
  },
  {
    source: 'genai_costs_daily_unified',
    serviceProvider: 'OpenAI',
    hostProvider: 'OpenAI',
    invoiceIssuer: 'OpenAI, L.L.C.',
    genai: 'openai',
    billingAccount: 'org-demo-openai',
    regions: ['global'],
    rowShare: 0.1,
    services: [
      svc('OpenAI API', 'AI and Machine Learning', 'Tokens', 0.000005, 18, 'gpt-4o'),
      svc('OpenAI API', 'AI and Machine Learning', 'Tokens', 0.0000003, 6, 'gpt-4o-mini'),
    ],
  },
  {
    source: 'genai_costs_daily_unified',
    serviceProvider: 'Anthropic',
    hostProvider: 'Anthropic',
    invoiceIssuer: 'Anthropic, PBC',
    genai: 'anthropic',
    billingAccount: 'anthropic-demo',
    regions: ['global'],
    rowShare: 0.07,
    services: [
      svc('Claude API', 'AI and Machine Learning', 'Tokens', 0.000006, 20, 'claude-sonnet-4'),
      svc('Claude API', 'AI and Machine Learning', 'Tokens', 0.0000016, 5, 'claude-haiku-3.5'),
    ],
  },
  {
    source: 'genai_costs_daily_unified',
    serviceProvider: 'Gemini',
    hostProvider: 'Google Cloud',
    invoiceIssuer: 'Google LLC',
    genai: 'gemini',
    billingAccount: 'gemini-demo',
    regions: ['global'],
    rowShare: 0.05,
    services: [svc('Gemini API', 'AI and Machine Learning', 'Tokens', 0.0000034, 12, 'gemini-2.5-pro')],
  },
  {
    source: 'subscription_costs_daily',
    serviceProvider: 'SaaS',
    hostProvider: 'SaaS',
    invoiceIssuer: 'Various SaaS vendors',
    billingAccount: 'saas-subscriptions',
    regions: ['global'],
    rowShare: 0.08,
    services: [
      svc('Slack', 'Subscription', 'Seats', 0.29, 9),
      svc('GitHub', 'Subscription', 'Seats', 0.7, 7),
      svc('Figma', 'Subscription', 'Seats', 0.5, 5),
      svc('Datadog', 'Subscription', 'Hosts', 0.5, 14),
      svc('ChatGPT Team', 'Subscription', 'Seats', 1, 6),
    ],
  },
];

/** The source systems the demo imports, one import each (a re-run replaces each one's year). */
export const DEMO_SOURCES: readonly string[] = [...new Set(DEMO_PROVIDERS.map((p) => p.source))];
