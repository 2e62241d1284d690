package keyringddb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/keyring"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/signature"
	"github.com/hubsec/trustlayer/shared/signingkey"
)

// Store implements keyring.Store, and signature.KeyDirectory for commit
// verification over the same items.
type Store struct{ ddb.Table }

var (
	_ keyring.Store          = Store{}
	_ signature.KeyDirectory = Store{}
)

// gpgKeyItem is an account's OpenPGP key: pk USER#<userId>, sk GPGKEY#<id>.
// Key is the JSON of signingkey.GPGKey without raw_key (kept in Armored).
type gpgKeyItem struct {
	PK           string    `dynamodbav:"pk"`
	SK           string    `dynamodbav:"sk"`
	ID           string    `dynamodbav:"id"`
	UserID       string    `dynamodbav:"userId"`
	KeyID        string    `dynamodbav:"keyId"`
	Fingerprint  string    `dynamodbav:"fingerprint"`
	Fingerprints []string  `dynamodbav:"fingerprints"` // primary then subkeys, as claimed
	KeyIDs       []string  `dynamodbav:"keyIds"`       // same order
	Key          string    `dynamodbav:"key"`
	Armored      string    `dynamodbav:"armored"`
	AddedAt      time.Time `dynamodbav:"addedAt"`
}

// gpgKeyIDItem indexes a key under the 64-bit id of its primary key or of
// one subkey, and claims that (sub)key's fingerprint for one account:
// pk GPGKEYID#<16 hex>, sk GPGFPR#<fingerprint>. Key ids may collide; a
// Query on the pk returns every key that has the id. The armored key is
// copied here so verification needs one Query per signature.
type gpgKeyIDItem struct {
	PK           string    `dynamodbav:"pk"`
	SK           string    `dynamodbav:"sk"`
	UserID       string    `dynamodbav:"userId"`
	KeyRecordID  string    `dynamodbav:"keyRecordId"`
	PrimaryKeyID string    `dynamodbav:"primaryKeyId"`
	PrimaryFpr   string    `dynamodbav:"primaryFingerprint"`
	Armored      string    `dynamodbav:"armored"`
	AddedAt      time.Time `dynamodbav:"addedAt"`
}

// sshKeyItem is an account's SSH signing key: pk USER#<userId>, sk SSHKEY#<id>.
type sshKeyItem struct {
	PK          string    `dynamodbav:"pk"`
	SK          string    `dynamodbav:"sk"`
	ID          string    `dynamodbav:"id"`
	UserID      string    `dynamodbav:"userId"`
	Title       string    `dynamodbav:"title"`
	Type        string    `dynamodbav:"type"`
	Fingerprint string    `dynamodbav:"fingerprint"`
	Comment     string    `dynamodbav:"comment"`
	BitLength   int       `dynamodbav:"bitLength"`
	Key         string    `dynamodbav:"key"`
	AddedAt     time.Time `dynamodbav:"addedAt"`
}

// sshFprItem claims an SSH fingerprint for one account and is the
// verification lookup: pk SSHFPR#<SHA256:...>, sk SSHFPR.
type sshFprItem struct {
	PK          string    `dynamodbav:"pk"`
	SK          string    `dynamodbav:"sk"`
	UserID      string    `dynamodbav:"userId"`
	KeyRecordID string    `dynamodbav:"keyRecordId"`
	Key         string    `dynamodbav:"key"`
	AddedAt     time.Time `dynamodbav:"addedAt"`
}

const sshFprSK = "SSHFPR"

func gpgKeySK(id string) string          { return "GPGKEY#" + id }
func sshKeySK(id string) string          { return "SSHKEY#" + id }
func gpgKeyIDPK(keyID string) string     { return "GPGKEYID#" + keyID }
func gpgFprSK(fpr string) string         { return "GPGFPR#" + fpr }
func sshFprPK(fingerprint string) string { return "SSHFPR#" + fingerprint }
func keyNotFound(err error) error {
	if errors.Is(err, ddb.ErrNoItem) {
		return store.ErrNotFound
	}
	return err
}

// AddGPGKey writes the key, and one index-and-claim item per key id, in one
// transaction; a claimed fingerprint fails it with a *keyring.TakenError.
func (s Store) AddGPGKey(ctx context.Context, k keyring.GPGKey, ev audit.Event) error {
	it, claims, err := gpgRecord(k)
	if err != nil {
		return err
	}
	all := k.Claimed()
	items := []types.TransactWriteItem{s.PutNew(it)}
	for _, c := range claims {
		items = append(items, s.PutNew(c))
	}
	var checked []string
	for _, e := range k.Key.Emails {
		if !e.Verified {
			continue
		}
		checked = append(checked, e.Email)
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Name),
			Key: ddb.Key(ddb.EmailPK(e.Email), ddb.EmailSK), ConditionExpression: aws.String("userId = :u AND verified = :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":u": ddb.S(k.UserID), ":t": &types.AttributeValueMemberBOOL{Value: true}}}})
	}
	items = append(items, s.AuditPut(ev))
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	failed := ddb.FailedIndexes(err)
	for _, i := range failed {
		if i == 0 || i > len(claims) {
			continue // the record's random id collided, or an email check
		}
		sub := all[i-1]
		te := &keyring.TakenError{Fingerprint: sub.Fingerprint}
		var holder gpgKeyIDItem
		if s.Get(ctx, gpgKeyIDPK(sub.KeyID), gpgFprSK(sub.Fingerprint), &holder) == nil {
			te.UserID, te.RecordID = holder.UserID, holder.KeyRecordID
		}
		return te
	}
	ue := &keyring.UnverifiedEmailsError{}
	for _, i := range failed {
		if j := i - 1 - len(claims); j >= 0 && j < len(checked) {
			ue.Emails = append(ue.Emails, checked[j])
		}
	}
	if len(ue.Emails) > 0 {
		return ue
	}
	return fmt.Errorf("add GPG key %s: %w", k.Key.KeyID, err)
}

// gpgRecord builds the key record of k and its claim items, in the order
// of k.Claimed().
func gpgRecord(k keyring.GPGKey) (gpgKeyItem, []gpgKeyIDItem, error) {
	body := k.Key
	body.RawKey = ""
	js, err := json.Marshal(body)
	if err != nil {
		return gpgKeyItem{}, nil, fmt.Errorf("encode GPG key: %w", err)
	}
	it := gpgKeyItem{PK: ddb.UserPK(k.UserID), SK: gpgKeySK(k.ID), ID: k.ID, UserID: k.UserID,
		KeyID: k.Key.KeyID, Fingerprint: k.Key.Fingerprint, Key: string(js), Armored: k.Key.RawKey, AddedAt: k.AddedAt}
	var claims []gpgKeyIDItem
	for _, sub := range k.Claimed() {
		it.Fingerprints = append(it.Fingerprints, sub.Fingerprint)
		it.KeyIDs = append(it.KeyIDs, sub.KeyID)
		claims = append(claims, gpgKeyIDItem{PK: gpgKeyIDPK(sub.KeyID), SK: gpgFprSK(sub.Fingerprint),
			UserID: k.UserID, KeyRecordID: k.ID, PrimaryKeyID: k.Key.KeyID, PrimaryFpr: k.Key.Fingerprint,
			Armored: k.Key.RawKey, AddedAt: k.AddedAt})
	}
	return it, claims, nil
}

// ReplaceGPGKey implements keyring.Store. Old's claims (as its record
// lists them) that k claims too are overwritten, the others deleted, each
// on condition that old's record still holds it; k's other claims must be
// free.
func (s Store) ReplaceGPGKey(ctx context.Context, old, k keyring.GPGKey) error {
	var rec gpgKeyItem
	if err := s.Get(ctx, ddb.UserPK(old.UserID), gpgKeySK(old.ID), &rec); err != nil {
		if errors.Is(err, ddb.ErrNoItem) {
			return store.ErrConflict
		}
		return err
	}
	it, claims, err := gpgRecord(k)
	if err != nil {
		return err
	}
	heldBy := map[string]types.AttributeValue{
		":u": &types.AttributeValueMemberS{Value: old.UserID}, ":r": &types.AttributeValueMemberS{Value: old.ID},
	}
	const held = "userId = :u AND keyRecordId = :r"
	items := []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(ddb.UserPK(old.UserID), gpgKeySK(old.ID)),
			ConditionExpression: aws.String("attribute_exists(pk)")}},
		s.PutNew(it),
	}
	oldClaims := map[string]bool{}
	for i, fpr := range rec.Fingerprints {
		if i < len(rec.KeyIDs) {
			oldClaims[gpgKeyIDPK(rec.KeyIDs[i])+"|"+gpgFprSK(fpr)] = true
		}
	}
	firstClaim := len(items)
	for _, c := range claims {
		key := c.PK + "|" + c.SK
		if oldClaims[key] {
			delete(oldClaims, key)
			items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Name), Item: ddb.Marshal(c),
				ConditionExpression: aws.String(held), ExpressionAttributeValues: heldBy}})
			continue
		}
		items = append(items, s.PutNew(c))
	}
	for i, fpr := range rec.Fingerprints {
		if i >= len(rec.KeyIDs) || !oldClaims[gpgKeyIDPK(rec.KeyIDs[i])+"|"+gpgFprSK(fpr)] {
			continue
		}
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Name),
			Key: ddb.Key(gpgKeyIDPK(rec.KeyIDs[i]), gpgFprSK(fpr)), ConditionExpression: aws.String(held), ExpressionAttributeValues: heldBy}})
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	for _, i := range ddb.FailedIndexes(err) {
		if i >= firstClaim && i < firstClaim+len(claims) && items[i].Put.ConditionExpression != nil && *items[i].Put.ConditionExpression == "attribute_not_exists(pk)" {
			c := claims[i-firstClaim]
			te := &keyring.TakenError{Fingerprint: strings.TrimPrefix(c.SK, "GPGFPR#")}
			var holder gpgKeyIDItem
			if s.Get(ctx, c.PK, c.SK, &holder) == nil {
				te.UserID, te.RecordID = holder.UserID, holder.KeyRecordID
			}
			return te
		}
	}
	if ddb.ConditionFailed(err) {
		return store.ErrConflict
	}
	return fmt.Errorf("replace GPG key %s: %w", old.ID, err)
}

func (it gpgKeyItem) domain() (keyring.GPGKey, error) {
	var k signingkey.GPGKey
	if err := json.Unmarshal([]byte(it.Key), &k); err != nil {
		return keyring.GPGKey{}, fmt.Errorf("decode GPG key %s: %w", it.ID, err)
	}
	k.RawKey = it.Armored
	return keyring.GPGKey{ID: it.ID, UserID: it.UserID, AddedAt: it.AddedAt, Key: k}, nil
}

// listUnder queries a user's items whose sk starts with prefix,
// strongly consistent.
func (s Store) listUnder(ctx context.Context, userID, prefix string) ([]map[string]types.AttributeValue, error) {
	return s.Query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: ddb.UserPK(userID)},
			":p":  &types.AttributeValueMemberS{Value: prefix},
		},
		ConsistentRead: aws.Bool(true),
	}, 1000)
}

// GPGKeys lists a user's OpenPGP keys, oldest first.
func (s Store) GPGKeys(ctx context.Context, userID string) ([]keyring.GPGKey, error) {
	items, err := s.listUnder(ctx, userID, "GPGKEY#")
	if err != nil {
		return nil, err
	}
	out := make([]keyring.GPGKey, 0, len(items))
	for _, m := range items {
		var it gpgKeyItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return nil, err
		}
		k, err := it.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	sortByAdded(out, func(k keyring.GPGKey) time.Time { return k.AddedAt })
	return out, nil
}

// GPGKey reads one of a user's OpenPGP keys.
func (s Store) GPGKey(ctx context.Context, userID, id string) (keyring.GPGKey, error) {
	var it gpgKeyItem
	if err := s.Get(ctx, ddb.UserPK(userID), gpgKeySK(id), &it); err != nil {
		return keyring.GPGKey{}, keyNotFound(err)
	}
	return it.domain()
}

// DeleteGPGKey deletes the key and its index items in one transaction, on
// condition that the key record still exists.
func (s Store) DeleteGPGKey(ctx context.Context, k keyring.GPGKey) error {
	items := []types.TransactWriteItem{{Delete: &types.Delete{
		TableName: aws.String(s.Name), Key: ddb.Key(ddb.UserPK(k.UserID), gpgKeySK(k.ID)),
		ConditionExpression: aws.String("attribute_exists(pk)"),
	}}}
	// Delete the claims the record lists (what was claimed when it was
	// written), never a fingerprint it did not claim: that one may be
	// another account's.
	var rec gpgKeyItem
	if err := s.Get(ctx, ddb.UserPK(k.UserID), gpgKeySK(k.ID), &rec); err != nil {
		return keyNotFound(err)
	}
	for i, fpr := range rec.Fingerprints {
		if i >= len(rec.KeyIDs) {
			break
		}
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(s.Name), Key: ddb.Key(gpgKeyIDPK(rec.KeyIDs[i]), gpgFprSK(fpr)),
		}})
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if ddb.ConditionFailed(err) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete GPG key %s: %w", k.ID, err)
	}
	return nil
}

// AddSSHKey writes the key and its fingerprint claim in one transaction.
func (s Store) AddSSHKey(ctx context.Context, k keyring.SSHKey) error {
	items := []types.TransactWriteItem{
		s.PutNew(sshKeyItem{PK: ddb.UserPK(k.UserID), SK: sshKeySK(k.ID), ID: k.ID, UserID: k.UserID, Title: k.Title,
			Type: k.Key.Type, Fingerprint: k.Key.Fingerprint, Comment: k.Key.Comment, BitLength: k.Key.BitLength,
			Key: k.Key.Key, AddedAt: k.AddedAt}),
		s.PutNew(sshFprItem{PK: sshFprPK(k.Key.Fingerprint), SK: sshFprSK, UserID: k.UserID, KeyRecordID: k.ID,
			Key: k.Key.Key, AddedAt: k.AddedAt}),
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	for _, i := range ddb.FailedIndexes(err) {
		if i == 1 {
			te := &keyring.TakenError{Fingerprint: k.Key.Fingerprint}
			var holder sshFprItem
			if s.Get(ctx, sshFprPK(k.Key.Fingerprint), sshFprSK, &holder) == nil {
				te.UserID = holder.UserID
			}
			return te
		}
	}
	return fmt.Errorf("add SSH key %s: %w", k.Key.Fingerprint, err)
}

func (it sshKeyItem) domain() keyring.SSHKey {
	return keyring.SSHKey{ID: it.ID, UserID: it.UserID, Title: it.Title, AddedAt: it.AddedAt,
		Key: signingkey.SSHKey{Type: it.Type, Fingerprint: it.Fingerprint, Comment: it.Comment, BitLength: it.BitLength, Key: it.Key}}
}

// SSHKeys lists a user's SSH signing keys, oldest first.
func (s Store) SSHKeys(ctx context.Context, userID string) ([]keyring.SSHKey, error) {
	items, err := s.listUnder(ctx, userID, "SSHKEY#")
	if err != nil {
		return nil, err
	}
	out := make([]keyring.SSHKey, 0, len(items))
	for _, m := range items {
		var it sshKeyItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return nil, err
		}
		out = append(out, it.domain())
	}
	sortByAdded(out, func(k keyring.SSHKey) time.Time { return k.AddedAt })
	return out, nil
}

// SSHKey reads one of a user's SSH signing keys.
func (s Store) SSHKey(ctx context.Context, userID, id string) (keyring.SSHKey, error) {
	var it sshKeyItem
	if err := s.Get(ctx, ddb.UserPK(userID), sshKeySK(id), &it); err != nil {
		return keyring.SSHKey{}, keyNotFound(err)
	}
	return it.domain(), nil
}

// DeleteSSHKey deletes the key and its claim in one transaction.
func (s Store) DeleteSSHKey(ctx context.Context, k keyring.SSHKey) error {
	items := []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(ddb.UserPK(k.UserID), sshKeySK(k.ID)),
			ConditionExpression: aws.String("attribute_exists(pk)")}},
		{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(sshFprPK(k.Key.Fingerprint), sshFprSK)}},
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if ddb.ConditionFailed(err) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete SSH key %s: %w", k.ID, err)
	}
	return nil
}

// GPGKeysByID returns every uploaded OpenPGP key whose primary key or a
// subkey has keyID: one strongly consistent Query.
func (s Store) GPGKeysByID(ctx context.Context, keyID uint64) ([]signature.UploadedGPGKey, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: gpgKeyIDPK(fmt.Sprintf("%016X", keyID))},
		},
		ConsistentRead: aws.Bool(true),
	}, 100)
	if err != nil {
		return nil, err
	}
	out := make([]signature.UploadedGPGKey, 0, len(items))
	seen := map[string]bool{}
	for _, m := range items {
		var it gpgKeyIDItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return nil, err
		}
		if seen[it.PrimaryFpr] {
			continue
		}
		seen[it.PrimaryFpr] = true
		out = append(out, signature.UploadedGPGKey{AccountID: it.UserID, ArmoredKey: it.Armored, UploadedAt: it.AddedAt})
	}
	return out, nil
}

// SSHKeysByFingerprint returns the SSH key with this fingerprint, if any
// account holds it: one GetItem.
func (s Store) SSHKeysByFingerprint(ctx context.Context, fingerprint string) ([]signature.UploadedSSHKey, error) {
	var it sshFprItem
	err := s.Get(ctx, sshFprPK(fingerprint), sshFprSK, &it)
	if errors.Is(err, ddb.ErrNoItem) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []signature.UploadedSSHKey{{AccountID: it.UserID, Key: it.Key, UploadedAt: it.AddedAt}}, nil
}

// EmailOwner reads the email claim of addr: one GetItem.
func (s Store) EmailOwner(ctx context.Context, addr string) (accountID string, verified, found bool, err error) {
	var it ddb.EmailClaim
	err = s.Get(ctx, ddb.EmailPK(addr), "EMAIL", &it)
	if errors.Is(err, ddb.ErrNoItem) {
		return "", false, false, nil
	}
	if err != nil {
		return "", false, false, err
	}
	return it.UserID, it.Verified, true, nil
}

func sortByAdded[T any](list []T, at func(T) time.Time) {
	slices.SortStableFunc(list, func(a, b T) int { return at(a).Compare(at(b)) })
}
