/// `count` followed by the noun in the right number: "1 worker", "2 workers", "1 batch",
/// "20 batches" (give `plural` when it is not the singular plus "s").
func counted(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
  "\(count) " + (count == 1 ? singular : plural ?? singular + "s")
}
