-- Notification delivery history of the org, with the matching rule (rule_*), summary (summary_*)
-- and channel (channel_*) fields added. Every join also matches org_slug so a row never picks up
-- another tenant's rule, summary or channel.
-- The reference creates this as a materialized view; it is an ordinary view here because the
-- embedded engine has no materialized views and the data volume does not need them.
SELECT
  h.notification_id,
  h.org_slug,
  h.notification_type,
  h.priority,
  h.subject,
  h.body_preview,
  h.status,
  h.sent_at,
  h.delivered_at,
  h.error_message,
  h.retry_count,
  h.recipients,
  h.acknowledged_at,
  h.acknowledged_by,
  h.escalated,
  h.escalated_at,
  h.created_at,
  h.rule_id,
  r.name AS rule_name,
  r.description AS rule_description,
  r.rule_category,
  r.rule_type,
  r.priority AS rule_priority,
  r.conditions AS rule_conditions,
  r.is_active AS rule_is_active,
  r.last_triggered_at AS rule_last_triggered,
  r.trigger_count_today AS rule_trigger_count,
  h.summary_id,
  s.name AS summary_name,
  s.summary_type,
  s.schedule_cron AS summary_schedule,
  s.schedule_timezone AS summary_timezone,
  s.include_sections AS summary_sections,
  s.is_active AS summary_is_active,
  s.last_sent_at AS summary_last_sent,
  s.next_scheduled_at AS summary_next_scheduled,
  h.channel_id,
  c.name AS channel_name,
  c.channel_type,
  c.is_default AS channel_is_default,
  c.is_active AS channel_is_active,
  c.email_recipients,
  c.slack_channel,
  h.trigger_data
FROM `{central}.org_notification_history` h
LEFT JOIN `{central}.org_notification_channels` c
  ON h.channel_id = c.channel_id
  AND h.org_slug = c.org_slug
LEFT JOIN `{central}.org_notification_rules` r
  ON h.rule_id = r.rule_id
  AND h.org_slug = r.org_slug
LEFT JOIN `{central}.org_notification_summaries` s
  ON h.summary_id = s.summary_id
  AND h.org_slug = s.org_slug
WHERE h.org_slug = '{org_slug}'
