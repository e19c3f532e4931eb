DROP TABLE joint_action_events;
DROP TABLE joint_action_cases;
DROP TABLE joint_action_members;
DROP TABLE joint_actions;
