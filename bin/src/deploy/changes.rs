//! The changes of a change set as this program reasons about them, merged
//! with the local replacement prediction, and their table.

use super::replacement::PredictedReplacement;

/// The kind of change to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Add,
    Modify,
    Remove,
    Import,
    Dynamic,
    /// An action this program does not know, shown as CloudFormation named it.
    Other,
}

impl Action {
    pub fn from_name(name: &str) -> Action {
        match name {
            "Add" => Action::Add,
            "Modify" => Action::Modify,
            "Remove" => Action::Remove,
            "Import" => Action::Import,
            "Dynamic" => Action::Dynamic,
            _ => Action::Other,
        }
    }
}

/// CloudFormation's answer to "does this change replace the resource".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replacement {
    True,
    /// Depends on a value known only during the update; treated as a
    /// replacement by the guards.
    Conditional,
    False,
    /// The change set did not say (adds, removes, and emulators that leave
    /// the field out).
    Unknown,
}

/// One resource change, from the change set or from local prediction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChange {
    pub action: Action,
    /// The action's name as CloudFormation wrote it.
    pub action_name: String,
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: Option<String>,
    pub replacement: Replacement,
    /// Properties whose change requires recreation (`RequiresRecreation`
    /// other than `Never`), from the change set's details.
    pub causing_properties: Vec<String>,
    /// Create-only properties that change, by local prediction. Empty when
    /// the local prediction finds no replacement.
    pub predicted_properties: Vec<String>,
}

impl PlannedChange {
    /// Returns `true` when the change set or the local prediction reports
    /// that the resource is replaced.
    pub fn replaces(&self) -> bool {
        self.action == Action::Modify && matches!(self.replacement, Replacement::True | Replacement::Conditional)
            || !self.predicted_properties.is_empty()
    }
}

/// Adds the local predictions to the change set's changes: a predicted
/// resource that the change set lists gets the predicted properties, and
/// one it does not list gets a `Modify` row of its own.
pub fn merge_predictions(changes: &mut Vec<PlannedChange>, predicted: &[PredictedReplacement]) {
    for prediction in predicted {
        if let Some(change) = changes.iter_mut().find(|change| change.logical_id == prediction.logical_id) {
            change.predicted_properties = prediction.properties.clone();
        } else {
            changes.push(PlannedChange {
                action: Action::Modify,
                action_name: "Modify".to_owned(),
                logical_id: prediction.logical_id.clone(),
                resource_type: prediction.resource_type.clone(),
                physical_id: None,
                replacement: Replacement::Unknown,
                causing_properties: Vec::new(),
                predicted_properties: prediction.properties.clone(),
            });
        }
    }
}

/// Renders the changes as an aligned text table with the columns action,
/// logical ID, type, replacement and causing properties.
pub fn render_table(changes: &[PlannedChange]) -> String {
    let header = ["ACTION", "LOGICAL ID", "TYPE", "REPLACEMENT", "CAUSED BY"];
    let rows: Vec<[String; 5]> = changes
        .iter()
        .map(|change| {
            [change.action_name.clone(), change.logical_id.clone(), change.resource_type.clone(), replacement_cell(change), causes_cell(change)]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut push_row = |cells: [&str; 5]| {
        let line: Vec<String> = cells.iter().zip(widths).map(|(cell, width)| format!("{cell:width$}")).collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    };
    push_row(header);
    for row in &rows {
        push_row([&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    text
}

fn replacement_cell(change: &PlannedChange) -> String {
    let from_change_set = match change.replacement {
        Replacement::True => "True",
        Replacement::Conditional => "Conditional",
        Replacement::False => "False",
        Replacement::Unknown if change.action == Action::Modify => "?",
        Replacement::Unknown => "-",
    };
    if change.predicted_properties.is_empty() {
        from_change_set.to_owned()
    } else if matches!(change.replacement, Replacement::True) {
        "True (predicted too)".to_owned()
    } else {
        format!("{from_change_set}, predicted True")
    }
}

fn causes_cell(change: &PlannedChange) -> String {
    let mut causes = change.causing_properties.clone();
    for property in &change.predicted_properties {
        if !causes.contains(property) {
            causes.push(property.clone());
        }
    }
    if causes.is_empty() {
        "-".to_owned()
    } else {
        causes.join(", ")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn change(action: &str, logical_id: &str, resource_type: &str, replacement: Replacement) -> PlannedChange {
        PlannedChange {
            action: Action::from_name(action),
            action_name: action.to_owned(),
            logical_id: logical_id.to_owned(),
            resource_type: resource_type.to_owned(),
            physical_id: None,
            replacement,
            causing_properties: Vec::new(),
            predicted_properties: Vec::new(),
        }
    }

    #[test]
    fn table_aligns_columns() {
        let mut modify = change("Modify", "BackupBucket", "AWS::S3::Bucket", Replacement::True);
        modify.causing_properties = vec!["BucketName".into()];
        let table = render_table(&[change("Add", "Vpc", "AWS::EC2::VPC", Replacement::Unknown), modify]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "ACTION  LOGICAL ID    TYPE             REPLACEMENT  CAUSED BY");
        assert_eq!(lines[1], "Add     Vpc           AWS::EC2::VPC    -            -");
        assert_eq!(lines[2], "Modify  BackupBucket  AWS::S3::Bucket  True         BucketName");
    }

    #[test]
    fn prediction_adds_unlisted_resource() {
        let mut changes = vec![change("Modify", "Vpc", "AWS::EC2::VPC", Replacement::False)];
        let predicted = [PredictedReplacement {
            logical_id: "BackupBucket".into(),
            resource_type: "AWS::S3::Bucket".into(),
            properties: vec!["BucketName".into()],
        }];
        merge_predictions(&mut changes, &predicted);
        assert_eq!(changes.len(), 2);
        assert!(!changes[0].replaces());
        assert!(changes[1].replaces());
        assert!(render_table(&changes).contains("?, predicted True  BucketName"), "{}", render_table(&changes));
    }

    #[test]
    fn conditional_counts_as_replacement() {
        assert!(change("Modify", "A", "T", Replacement::Conditional).replaces());
        assert!(!change("Add", "A", "T", Replacement::Unknown).replaces());
    }
}
