-- One row of notification counts for the org, computed at query time. The base row makes the
-- view return a row (all zeros, delivery_rate 100) even when the org has no notification data.
-- Counts use COUNT(CASE ...) so the SQL stays inside the subset both warehouse drivers accept.
SELECT
  base.org_slug,
  CURRENT_TIMESTAMP() AS computed_at,
  COALESCE(c.total_channels, 0) AS total_channels,
  COALESCE(c.active_channels, 0) AS active_channels,
  COALESCE(c.email_channels, 0) AS email_channels,
  COALESCE(c.slack_channels, 0) AS slack_channels,
  COALESCE(c.webhook_channels, 0) AS webhook_channels,
  COALESCE(r.total_rules, 0) AS total_rules,
  COALESCE(r.active_rules, 0) AS active_rules,
  COALESCE(r.critical_rules, 0) AS critical_rules,
  COALESCE(r.cost_rules, 0) AS cost_rules,
  COALESCE(r.pipeline_rules, 0) AS pipeline_rules,
  COALESCE(r.total_triggers_today, 0) AS total_triggers_today,
  COALESCE(s.total_summaries, 0) AS total_summaries,
  COALESCE(s.active_summaries, 0) AS active_summaries,
  COALESCE(h.total_notifications, 0) AS total_notifications,
  COALESCE(h.notifications_24h, 0) AS notifications_24h,
  COALESCE(h.alerts_24h, 0) AS alerts_24h,
  COALESCE(h.delivered_count, 0) AS delivered_count,
  COALESCE(h.failed_count, 0) AS failed_count,
  COALESCE(h.pending_acknowledgments, 0) AS pending_acknowledgments,
  COALESCE(h.escalated_count, 0) AS escalated_count,
  CASE
    WHEN COALESCE(h.total_notifications, 0) = 0 THEN 100.0
    ELSE h.delivered_count * 100.0 / h.total_notifications
  END AS delivery_rate
FROM (SELECT '{org_slug}' AS org_slug) base
LEFT JOIN (
  SELECT
    org_slug,
    COUNT(*) AS total_channels,
    COUNT(CASE WHEN is_active THEN 1 END) AS active_channels,
    COUNT(CASE WHEN channel_type = 'email' THEN 1 END) AS email_channels,
    COUNT(CASE WHEN channel_type = 'slack' THEN 1 END) AS slack_channels,
    COUNT(CASE WHEN channel_type = 'webhook' THEN 1 END) AS webhook_channels
  FROM `{central}.org_notification_channels`
  WHERE org_slug = '{org_slug}'
  GROUP BY org_slug
) c ON base.org_slug = c.org_slug
LEFT JOIN (
  SELECT
    org_slug,
    COUNT(*) AS total_rules,
    COUNT(CASE WHEN is_active THEN 1 END) AS active_rules,
    COUNT(CASE WHEN priority = 'critical' THEN 1 END) AS critical_rules,
    COUNT(CASE WHEN rule_category = 'cost' THEN 1 END) AS cost_rules,
    COUNT(CASE WHEN rule_category = 'pipeline' THEN 1 END) AS pipeline_rules,
    SUM(COALESCE(trigger_count_today, 0)) AS total_triggers_today
  FROM `{central}.org_notification_rules`
  WHERE org_slug = '{org_slug}'
  GROUP BY org_slug
) r ON base.org_slug = r.org_slug
LEFT JOIN (
  SELECT
    org_slug,
    COUNT(*) AS total_summaries,
    COUNT(CASE WHEN is_active THEN 1 END) AS active_summaries
  FROM `{central}.org_notification_summaries`
  WHERE org_slug = '{org_slug}'
  GROUP BY org_slug
) s ON base.org_slug = s.org_slug
LEFT JOIN (
  SELECT
    org_slug,
    COUNT(*) AS total_notifications,
    COUNT(CASE WHEN created_at >= CURRENT_TIMESTAMP() - INTERVAL 24 HOUR THEN 1 END) AS notifications_24h,
    COUNT(
      CASE WHEN notification_type = 'alert' AND created_at >= CURRENT_TIMESTAMP() - INTERVAL 24 HOUR THEN 1 END
    ) AS alerts_24h,
    COUNT(CASE WHEN status = 'delivered' THEN 1 END) AS delivered_count,
    COUNT(CASE WHEN status = 'failed' THEN 1 END) AS failed_count,
    COUNT(CASE WHEN status = 'delivered' AND acknowledged_at IS NULL THEN 1 END) AS pending_acknowledgments,
    COUNT(CASE WHEN escalated THEN 1 END) AS escalated_count
  FROM `{central}.org_notification_history`
  WHERE org_slug = '{org_slug}'
  GROUP BY org_slug
) h ON base.org_slug = h.org_slug
